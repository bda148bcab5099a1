/**
 * Rules: what a signature's References name, and their digests.
 *
 * `resolveReferences` is structural and costs no digest: each Reference is
 * resolved in the one id map (so it names an element of the document tree,
 * and only one); no signed element may contain the signature; and a
 * Reference to a `wsu:Timestamp` must name the Timestamp of our Security
 * header (its direct child) — a Timestamp moved into another header, another
 * actor's Security header or a wrapper is never checked for freshness, so a
 * signature over it is refused. `checkSignedElements` then requires the SOAP
 * Body that will be dispatched (that element, found by position) and our
 * Timestamp, when there is one, among the signed elements.
 *
 * `verifyDigests` runs only after the SignatureValue verified with a
 * configured certificate (the engine sees to it). Each signed element is
 * canonicalized and digested once, however many References name it; such
 * References must agree on transforms and digest method. Digests are
 * compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Element, Node } from "../../xml/tree.js";
import { NS } from "../../xml/ns.js";
import { canonicalizeTo } from "../c14n.js";
import type { ParsedSignature, SignatureReference } from "../processors/signature.js";

export interface ResolvedReference {
  readonly reference: SignatureReference;
  readonly element: Element;
}

export type ReferenceResolution =
  | { readonly kind: "resolved"; readonly references: readonly ResolvedReference[]; readonly signedElements: ReadonlySet<Element> }
  | { readonly kind: "invalid"; readonly reason: string };

export function resolveReferences(
  signature: ParsedSignature,
  elementsById: ReadonlyMap<string, Element>,
  ourTimestamp: Element | undefined,
): ReferenceResolution {
  const references: ResolvedReference[] = [];
  const signedElements = new Set<Element>();
  for (const reference of signature.references) {
    const id = reference.id.slice(0, 64);
    const element = elementsById.get(reference.id);
    if (!element) return invalid(`ds:Reference #${id} names no element`);
    if (contains(element, signature.element)) {
      // WS-Security never signs an element that contains the signature; the enveloped transform is a no-op otherwise.
      return invalid(`signed element #${id} contains the signature`);
    }
    if (element.namespaceURI === NS.wsu && element.localName === "Timestamp" && element !== ourTimestamp) {
      return invalid(`signed wsu:Timestamp #${id} is not the Timestamp of our Security header`);
    }
    references.push({ reference, element });
    signedElements.add(element);
  }
  return { kind: "resolved", references, signedElements };
}

export type SignedElementsCheck = { readonly kind: "covered" } | { readonly kind: "invalid"; readonly reason: string };

export function checkSignedElements(signedElements: ReadonlySet<Element>, body: Element, timestamp: Element | undefined): SignedElementsCheck {
  if (!signedElements.has(body)) return invalid("the SOAP Body that is dispatched is not signed");
  if (timestamp && !signedElements.has(timestamp)) return invalid("the wsu:Timestamp is not signed");
  return { kind: "covered" };
}

export type DigestVerification = { readonly kind: "verified" } | { readonly kind: "invalid"; readonly reason: string };

/** Called once per element actually canonicalized and digested (observability; tests count digests with it). */
export type DigestObserver = (referenceId: string) => void;

export function verifyDigests(references: readonly ResolvedReference[], onDigest?: DigestObserver): DigestVerification {
  const computed = new Map<Element, { readonly reference: SignatureReference; readonly digest: Buffer }>();
  for (const { reference, element } of references) {
    const id = reference.id.slice(0, 64);
    let entry = computed.get(element);
    if (entry && !sameProcessing(entry.reference, reference)) {
      return invalid(`References to #${id} differ in transforms or digest method`);
    }
    if (!entry) {
      // The canonical form is streamed into the hash: a large Body is never one string.
      const hash = createHash(reference.digest.hash);
      onDigest?.(reference.id);
      const canonical = canonicalizeTo(element, reference.transforms.c14n, reference.prefixList, {
        write: (chunk) => hash.update(chunk, "utf8"),
        writeBytes: (chunk) => hash.update(chunk),
      });
      if (canonical.kind === "unsupported") return invalid(canonical.reason);
      entry = { reference, digest: hash.digest() };
      computed.set(element, entry);
    }
    if (entry.digest.length !== reference.digestValue.length || !timingSafeEqual(entry.digest, reference.digestValue)) {
      return invalid(`digest of #${id} does not match`);
    }
  }
  return { kind: "verified" };
}

function sameProcessing(a: SignatureReference, b: SignatureReference): boolean {
  return (
    a.transforms.c14n === b.transforms.c14n &&
    a.digest.hash === b.digest.hash &&
    a.prefixList.length === b.prefixList.length &&
    a.prefixList.every((prefix, index) => prefix === b.prefixList[index])
  );
}

function contains(ancestor: Element, node: Node): boolean {
  for (let current: Node | null = node; current; current = current.parentNode) {
    if (current === ancestor) return true;
  }
  return false;
}

function invalid(reason: string): { kind: "invalid"; reason: string } {
  return { kind: "invalid", reason };
}
