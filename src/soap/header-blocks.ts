/**
 * SOAP header processing rules (SPEC §5, "These two SOAP processing rules"):
 * which header blocks are addressed to this receiver, and the mustUnderstand
 * rule — a block for us with mustUnderstand 1/true that the gateway does not
 * process (anything but our wsse:Security) is a MustUnderstand fault.
 */
import type { Element } from "../xml/tree.js";
import { NS, SOAP12_ROLE_NEXT, SOAP12_ROLE_ULTIMATE_RECEIVER, SOAP_ACTOR_NEXT } from "../xml/ns.js";
import { attributeNS, elementChildren } from "../xml/navigate.js";
import { soapNamespace, type SoapEnvelope, type SoapVersion } from "./envelope.js";

/** The header block the gateway did not understand, named as the client wrote it. */
export interface NotUnderstoodHeader {
  /** `prefix:localName` (or `localName` when unprefixed), as in the request. */
  readonly qname: string;
  readonly prefix: string | undefined;
  readonly localName: string;
  readonly namespace: string | undefined;
}

export type MustUnderstandResult =
  | { readonly kind: "understood" }
  | { readonly kind: "not-understood"; readonly header: NotUnderstoodHeader }
  | { readonly kind: "malformed"; readonly reason: string };

/**
 * A block is for this receiver when it names no actor (SOAP 1.1) / role
 * (SOAP 1.2), or names the "next" role (1.1 and 1.2) or the ultimate
 * receiver (1.2), both of which include us.
 */
export function isForThisReceiver(block: Element, version: SoapVersion): boolean {
  if (version === "1.1") {
    const actor = attributeNS(block, NS.soap11, "actor");
    return actor === undefined || actor.trim() === SOAP_ACTOR_NEXT;
  }
  const role = attributeNS(block, NS.soap12, "role");
  return role === undefined || [SOAP12_ROLE_ULTIMATE_RECEIVER, SOAP12_ROLE_NEXT].includes(role.trim());
}

/**
 * The first header block for this receiver that must be understood and is
 * not ours to process. mustUnderstand is an xs:boolean: "1"/"true" (white
 * space collapsed) must be understood, "0"/"false" may be ignored, and any
 * other value is malformed (refused rather than guessed either way).
 */
export function checkMustUnderstand(envelope: SoapEnvelope): MustUnderstandResult {
  if (!envelope.header) return { kind: "understood" };
  const soapNs = soapNamespace(envelope.version);
  for (const block of elementChildren(envelope.header)) {
    const value = attributeNS(block, soapNs, "mustUnderstand");
    if (value === undefined) continue;
    const flag = value.trim();
    if (flag !== "1" && flag !== "true" && flag !== "0" && flag !== "false") {
      return { kind: "malformed", reason: `mustUnderstand="${flag.slice(0, 20)}" is not a boolean` };
    }
    if (flag === "0" || flag === "false") continue;
    if (!isForThisReceiver(block, envelope.version) || isProcessedByUs(block)) continue;
    const prefix = block.prefix || undefined;
    const localName = block.localName ?? block.nodeName;
    return {
      kind: "not-understood",
      header: { qname: prefix ? `${prefix}:${localName}` : localName, prefix, localName, namespace: block.namespaceURI || undefined },
    };
  }
  return { kind: "understood" };
}

/** The gateway processes one kind of header block: wsse:Security (the WS-Security decision finds and checks ours). */
function isProcessedByUs(block: Element): boolean {
  return block.namespaceURI === NS.wsse && block.localName === "Security";
}

