/**
 * Finds the `wsse:Security` header block addressed to this receiver and
 * sorts its direct children by QName. A block is ours when it names no
 * actor (SOAP 1.1) / role (SOAP 1.2), or names the "next" / ultimate
 * receiver role, which includes us. Blocks for other actors are ignored
 * entirely: nothing inside them counts (a signature there signs nothing for
 * us). Two blocks for us are ambiguous and refused.
 */
import type { Element } from "../xml/tree.js";
import type { SoapEnvelope } from "../soap/envelope.js";
import { elementChildren } from "../xml/navigate.js";
import { isForThisReceiver } from "../soap/header-blocks.js";
import { NS } from "../xml/ns.js";

export interface SecurityHeader {
  readonly element: Element;
  /** Direct children, by kind, in document order. */
  readonly signatures: readonly Element[];
  readonly timestamps: readonly Element[];
  readonly usernameTokens: readonly Element[];
  readonly binarySecurityTokens: readonly Element[];
}

export type SecurityHeaderResult =
  | { readonly kind: "found"; readonly header: SecurityHeader }
  | { readonly kind: "absent"; readonly ignoredForOtherActors: number }
  | { readonly kind: "ambiguous"; readonly reason: string };

export function findSecurityHeader(envelope: SoapEnvelope): SecurityHeaderResult {
  if (!envelope.header) return { kind: "absent", ignoredForOtherActors: 0 };
  const ours: Element[] = [];
  let ignoredForOtherActors = 0;
  for (const block of elementChildren(envelope.header)) {
    if (block.namespaceURI !== NS.wsse || block.localName !== "Security") continue;
    if (isForThisReceiver(block, envelope.version)) ours.push(block);
    else ignoredForOtherActors++;
  }
  if (ours.length > 1) return { kind: "ambiguous", reason: `${ours.length} wsse:Security headers address this receiver` };
  const element = ours[0];
  if (!element) return { kind: "absent", ignoredForOtherActors };
  return { kind: "found", header: sortChildren(element) };
}

function sortChildren(element: Element): SecurityHeader {
  const signatures: Element[] = [];
  const timestamps: Element[] = [];
  const usernameTokens: Element[] = [];
  const binarySecurityTokens: Element[] = [];
  for (const child of elementChildren(element)) {
    const namespace = child.namespaceURI;
    const localName = child.localName;
    if (namespace === NS.ds && localName === "Signature") signatures.push(child);
    else if (namespace === NS.wsu && localName === "Timestamp") timestamps.push(child);
    else if (namespace === NS.wsse && localName === "UsernameToken") usernameTokens.push(child);
    else if (namespace === NS.wsse && localName === "BinarySecurityToken") binarySecurityTokens.push(child);
  }
  return { element, signatures, timestamps, usernameTokens, binarySecurityTokens };
}
