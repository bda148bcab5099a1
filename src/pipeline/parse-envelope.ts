/**
 * Stage: the one parse of the request (XML safety and limits first), then
 * the SOAP envelope structure. Any failure is `Malformed SOAP request` (400).
 */
import type { GatewaySettings } from "../config/types.js";
import { readEnvelope, type SoapEnvelope, type SoapVersion } from "../soap/envelope.js";
import { xmlParser } from "../xml/parse.js";

export type ParseEnvelopeResult = { readonly kind: "envelope"; readonly envelope: SoapEnvelope } | { readonly kind: "malformed"; readonly reason: string };

export function parseSoapEnvelope(body: Buffer, expectedVersion: SoapVersion, limits: GatewaySettings["limits"]): ParseEnvelopeResult {
  const parsed = xmlParser.parse(body, limits);
  if (parsed.kind === "refused") return { kind: "malformed", reason: parsed.reason };
  const envelope = readEnvelope(parsed.document);
  if (envelope.kind === "malformed") return envelope;
  if (envelope.envelope.version !== expectedVersion) {
    return { kind: "malformed", reason: `SOAP ${envelope.envelope.version} envelope sent as SOAP ${expectedVersion} content type` };
  }
  return envelope;
}
