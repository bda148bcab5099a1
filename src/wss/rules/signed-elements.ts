/**
 * Rules: every Reference's digest matches, and the signature covers what is
 * used. Each Reference is resolved in the one id map (so it names an element
 * of the document tree, and only one), canonicalized in place and digested;
 * digests are compared in constant time. Then the SOAP Body that will be
 * dispatched — that element, found by position, not an element with the
 * same id elsewhere — must be among the verified elements, and so must our
 * Timestamp when there is one.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Element, Node } from "../../xml/tree.js";
import { canonicalizeTo } from "../c14n.js";
import type { ParsedSignature } from "../processors/signature.js";

export type ReferenceVerification =
  | { readonly kind: "verified"; readonly signedElements: ReadonlySet<Element> }
  | { readonly kind: "invalid"; readonly reason: string };

export function verifyReferences(signature: ParsedSignature, elementsById: ReadonlyMap<string, Element>): ReferenceVerification {
  const signedElements = new Set<Element>();
  for (const reference of signature.references) {
    const element = elementsById.get(reference.id);
    if (!element) return { kind: "invalid", reason: `ds:Reference #${reference.id.slice(0, 64)} names no element` };
    if (contains(element, signature.element)) {
      // WS-Security never signs an element that contains the signature; the enveloped transform is a no-op otherwise.
      return { kind: "invalid", reason: `signed element #${reference.id.slice(0, 64)} contains the signature` };
    }
    // The canonical form is streamed into the hash: a large Body is never one string.
    const hash = createHash(reference.digest.hash);
    const canonical = canonicalizeTo(element, reference.transforms.c14n, reference.prefixList, { write: (chunk) => hash.update(chunk, "utf8") });
    if (canonical.kind === "unsupported") return { kind: "invalid", reason: canonical.reason };
    const digest = hash.digest();
    if (digest.length !== reference.digestValue.length || !timingSafeEqual(digest, reference.digestValue)) {
      return { kind: "invalid", reason: `digest of #${reference.id.slice(0, 64)} does not match` };
    }
    signedElements.add(element);
  }
  return { kind: "verified", signedElements };
}

export type SignedElementsCheck = { readonly kind: "covered" } | { readonly kind: "invalid"; readonly reason: string };

export function checkSignedElements(signedElements: ReadonlySet<Element>, body: Element, timestamp: Element | undefined): SignedElementsCheck {
  if (!signedElements.has(body)) return { kind: "invalid", reason: "the SOAP Body that is dispatched is not signed" };
  if (timestamp && !signedElements.has(timestamp)) return { kind: "invalid", reason: "the wsu:Timestamp is not signed" };
  return { kind: "covered" };
}

function contains(ancestor: Element, node: Node): boolean {
  for (let current: Node | null = node; current; current = current.parentNode) {
    if (current === ancestor) return true;
  }
  return false;
}
