/**
 * Stage: the one parse of the request (XML safety and limits first), then
 * the SOAP envelope structure and SOAP's header processing rule. A failure
 * is `Malformed SOAP request` (400); a header block for us that must be
 * understood and is not ours to process is a MustUnderstand fault.
 */
import type { GatewaySettings } from "../config/types.js";
import { readEnvelope, type SoapEnvelope, type SoapVersion } from "../soap/envelope.js";
import { checkMustUnderstand, type NotUnderstoodHeader } from "../soap/header-blocks.js";
import { xmlParser } from "../xml/parse.js";

export type ParseEnvelopeResult =
  | { readonly kind: "envelope"; readonly envelope: SoapEnvelope }
  | { readonly kind: "malformed"; readonly reason: string }
  | { readonly kind: "not-understood"; readonly header: NotUnderstoodHeader };

export function parseSoapEnvelope(body: Buffer, expectedVersion: SoapVersion, limits: GatewaySettings["limits"]): ParseEnvelopeResult {
  const parsed = xmlParser.parse(body, limits);
  if (parsed.kind === "refused") return { kind: "malformed", reason: parsed.reason };
  const envelope = readEnvelope(parsed.document);
  if (envelope.kind === "malformed") return envelope;
  if (envelope.envelope.version !== expectedVersion) {
    return { kind: "malformed", reason: `SOAP ${envelope.envelope.version} envelope sent as SOAP ${expectedVersion} content type` };
  }
  const headers = checkMustUnderstand(envelope.envelope);
  if (headers.kind !== "understood") return headers;
  return envelope;
}
