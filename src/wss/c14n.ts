/**
 * Canonicalization of elements of the one parsed DOM, in place: nothing is
 * re-serialized and re-parsed, and the DOM is never modified. Exclusive c14n
 * is our own linear renderer (exclusive-c14n.ts), which streams its output in
 * chunks (so a large Body is hashed without one huge string); inclusive c14n
 * 1.0 / 1.1 is xml-crypto's. This module supplies what the renderers leave to
 * the caller — the namespaces inherited from the element's ancestors (the
 * apex of the subset).
 *
 * Allowed: exclusive c14n (with an InclusiveNamespaces PrefixList) and
 * inclusive c14n 1.0 / 1.1. The #WithComments variants are refused: WSS
 * signers never use them, and with a bare-name `#id` reference XMLDSig drops
 * comments anyway, so accepting them only invites verifier disagreement.
 */
import type { Element } from "@xmldom/xmldom";
import { C14nCanonicalization, type NamespacePrefix } from "xml-crypto";
import { DSIG_ALGORITHMS, NS } from "../xml/ns.js";
import { writeExclusiveCanonical, type CanonicalSink } from "./exclusive-c14n.js";

export type { CanonicalSink } from "./exclusive-c14n.js";

export const C14N_ALGORITHMS = {
  exclusive: DSIG_ALGORITHMS.c14n.exclusive,
  inclusive10: DSIG_ALGORITHMS.c14n.inclusive,
  inclusive11: DSIG_ALGORITHMS.c14n.inclusive11,
} as const;

export type C14nAlgorithm = (typeof C14N_ALGORITHMS)[keyof typeof C14N_ALGORITHMS];

export type CanonicalizeResult = { readonly kind: "canonical"; readonly text: string } | { readonly kind: "unsupported"; readonly reason: string };

export type CanonicalWriteResult = { readonly kind: "written" } | { readonly kind: "unsupported"; readonly reason: string };

export function isC14nAlgorithm(uri: string): uri is C14nAlgorithm {
  return Object.values(C14N_ALGORITHMS).includes(uri as C14nAlgorithm);
}

/**
 * Canonicalizes `element` (with its subtree) as an apex of a document subset.
 * `prefixList` is the exclusive c14n InclusiveNamespaces PrefixList ("#default" for the default namespace).
 */
export function canonicalize(element: Element, algorithm: C14nAlgorithm, prefixList: readonly string[] = []): CanonicalizeResult {
  const chunks: string[] = [];
  const result = canonicalizeTo(element, algorithm, prefixList, { write: (chunk) => chunks.push(chunk) });
  return result.kind === "written" ? { kind: "canonical", text: chunks.join("") } : result;
}

/** Like `canonicalize`, but hands the canonical form to `sink` in chunks (e.g. straight into a hash). */
export function canonicalizeTo(element: Element, algorithm: C14nAlgorithm, prefixList: readonly string[], sink: CanonicalSink): CanonicalWriteResult {
  try {
    if (algorithm === C14N_ALGORITHMS.exclusive) {
      const inherited = inheritedNamespaces(element).filter((ns) => prefixList.includes(ns.prefix === "" ? "#default" : ns.prefix));
      writeExclusiveCanonical(element, prefixList, inherited, sink);
      return { kind: "written" };
    }
    const inclusive = canonicalizeInclusive(element);
    if (inclusive.kind === "canonical") sink.write(inclusive.text);
    return inclusive.kind === "canonical" ? { kind: "written" } : inclusive;
  } catch {
    // Node types c14n cannot render here (e.g. a processing instruction inside the element).
    return { kind: "unsupported", reason: "element content that c14n cannot render" };
  }
}

function canonicalizeInclusive(element: Element): CanonicalizeResult {
  // Inclusive c14n would also inherit xml:* attributes from ancestors (1.0 copies them, 1.1 only some);
  // xml-crypto implements neither, so such documents are refused rather than mis-digested.
  if (hasXmlAttributeOnAncestor(element)) {
    return { kind: "unsupported", reason: "inclusive c14n of an element whose ancestors carry xml:* attributes" };
  }
  let ancestorNamespaces = inheritedNamespaces(element);
  // An unprefixed apex renders its own default namespace already.
  if (!element.prefix) ancestorNamespaces = ancestorNamespaces.filter((ns) => ns.prefix !== "");
  const text = new C14nCanonicalization().process(element as unknown as Node, { ancestorNamespaces });
  return { kind: "canonical", text };
}

/**
 * The namespace bindings in scope at `element` that are declared on its
 * ancestors (nearest binding per prefix; undeclarations dropped; prefixes
 * the element declares itself left out).
 */
function inheritedNamespaces(element: Element): NamespacePrefix[] {
  const seen = new Set<string>();
  for (const attribute of attributesOf(element)) {
    const prefix = namespaceDeclarationPrefix(attribute);
    if (prefix !== undefined) seen.add(prefix);
  }
  const found: NamespacePrefix[] = [];
  for (let ancestor = element.parentNode; ancestor && ancestor.nodeType === ELEMENT_NODE; ancestor = ancestor.parentNode) {
    for (const attribute of attributesOf(ancestor as Element)) {
      const prefix = namespaceDeclarationPrefix(attribute);
      if (prefix === undefined || seen.has(prefix)) continue;
      seen.add(prefix);
      if (attribute.value !== "") found.push({ prefix, namespaceURI: attribute.value });
    }
  }
  return found;
}

const ELEMENT_NODE = 1;

interface AttributeLike {
  readonly name: string;
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly value: string;
}

function attributesOf(element: Element): AttributeLike[] {
  const list: AttributeLike[] = [];
  for (let i = 0; i < element.attributes.length; i++) list.push(element.attributes.item(i)! as AttributeLike);
  return list;
}

/** "" for `xmlns`, the prefix for `xmlns:p`, undefined for an ordinary attribute. */
function namespaceDeclarationPrefix(attribute: AttributeLike): string | undefined {
  if (attribute.name === "xmlns") return "";
  if (attribute.prefix === "xmlns" || attribute.namespaceURI === NS.xmlns) return attribute.localName ?? undefined;
  return undefined;
}

function hasXmlAttributeOnAncestor(element: Element): boolean {
  for (let ancestor = element.parentNode; ancestor && ancestor.nodeType === ELEMENT_NODE; ancestor = ancestor.parentNode) {
    if (attributesOf(ancestor as Element).some((attribute) => attribute.namespaceURI === NS.xml)) return true;
  }
  return false;
}
