/**
 * Canonicalization of elements of the one parsed tree, in place: nothing is
 * re-serialized and re-parsed, and the tree is never modified. Both
 * renderers are ours and linear, and stream their output in chunks (so a
 * large Body is hashed without one huge string): exclusive c14n
 * (exclusive-c14n.ts) and inclusive c14n 1.0 / 1.1 (inclusive-c14n.ts).
 * This module supplies what the renderers leave to the caller — the
 * namespaces inherited from the element's ancestors (the apex of the subset).
 *
 * Allowed: exclusive c14n (with an InclusiveNamespaces PrefixList) and
 * inclusive c14n 1.0 / 1.1. The #WithComments variants are refused: WSS
 * signers never use them, and with a bare-name `#id` reference XMLDSig drops
 * comments anyway, so accepting them only invites verifier disagreement.
 * Refused while rendering (→ "unsupported"): a processing instruction or any
 * node other than element, text, CDATA and comment inside the element, and
 * inclusive c14n 1.1 of an element whose ancestors carry xml:base.
 */
import { DSIG_ALGORITHMS } from "../xml/ns.js";
import { declaredPrefix, ELEMENT_NODE, NotCanonicalizable, type C14nElement, type CanonicalSink, type InheritedNamespace } from "./c14n-output.js";
import { writeExclusiveCanonical } from "./exclusive-c14n.js";
import { writeInclusiveCanonical } from "./inclusive-c14n.js";

export type { C14nElement, CanonicalSink } from "./c14n-output.js";

export const C14N_ALGORITHMS = {
  exclusive: DSIG_ALGORITHMS.c14n.exclusive,
  inclusive10: DSIG_ALGORITHMS.c14n.inclusive,
  inclusive11: DSIG_ALGORITHMS.c14n.inclusive11,
} as const;

export type C14nAlgorithm = (typeof C14N_ALGORITHMS)[keyof typeof C14N_ALGORITHMS];

export type CanonicalizeResult = { readonly kind: "canonical"; readonly text: string } | { readonly kind: "unsupported"; readonly reason: string };

export type CanonicalWriteResult = { readonly kind: "written" } | { readonly kind: "unsupported"; readonly reason: string };

const C14N_ALGORITHM_SET: ReadonlySet<string> = new Set(Object.values(C14N_ALGORITHMS));

export function isC14nAlgorithm(uri: string): uri is C14nAlgorithm {
  return C14N_ALGORITHM_SET.has(uri);
}

/**
 * Canonicalizes `element` (with its subtree) as an apex of a document subset.
 * `prefixList` is the exclusive c14n InclusiveNamespaces PrefixList ("#default" for the default namespace).
 */
export function canonicalize(element: C14nElement, algorithm: C14nAlgorithm, prefixList: readonly string[] = []): CanonicalizeResult {
  const chunks: string[] = [];
  const result = canonicalizeTo(element, algorithm, prefixList, { write: (chunk) => chunks.push(chunk) });
  return result.kind === "written" ? { kind: "canonical", text: chunks.join("") } : result;
}

/**
 * Like `canonicalize`, but hands the canonical form to `sink` in chunks (e.g. straight into a hash).
 * On "unsupported" the sink may have received part of the output: discard it.
 */
export function canonicalizeTo(element: C14nElement, algorithm: C14nAlgorithm, prefixList: readonly string[], sink: CanonicalSink): CanonicalWriteResult {
  try {
    switch (algorithm) {
      case C14N_ALGORITHMS.exclusive:
        // Exclusive c14n renders an ancestor's binding only for a prefix of the PrefixList (usually empty: then none).
        writeExclusiveCanonical(
          element,
          prefixList,
          prefixList.length === 0 ? [] : inheritedNamespaces(element).filter((ns) => prefixList.includes(ns.prefix === "" ? "#default" : ns.prefix)),
          sink,
        );
        break;
      case C14N_ALGORITHMS.inclusive10:
        writeInclusiveCanonical(element, "1.0", inheritedNamespaces(element), sink);
        break;
      case C14N_ALGORITHMS.inclusive11:
        writeInclusiveCanonical(element, "1.1", inheritedNamespaces(element), sink);
        break;
      default: {
        const unknown: never = algorithm;
        return { kind: "unsupported", reason: `canonicalization ${String(unknown).slice(0, 80)}` };
      }
    }
    return { kind: "written" };
  } catch (error) {
    // Fail closed: anything else a renderer throws (e.g. a stack overflow) is "unsupported" too, never a crash.
    return { kind: "unsupported", reason: error instanceof NotCanonicalizable ? error.message : "element content that c14n cannot render" };
  }
}

/**
 * The namespace bindings in scope at `element` that are declared on its
 * ancestors (nearest binding per prefix; undeclarations dropped; prefixes
 * the element declares itself left out).
 */
function inheritedNamespaces(element: C14nElement): InheritedNamespace[] {
  const seen = new Set<string>();
  const own = element.attributes;
  for (let i = 0; i < own.length; i++) {
    const prefix = declaredPrefix(own[i]!);
    if (prefix !== undefined) seen.add(prefix);
  }
  const found: InheritedNamespace[] = [];
  for (let ancestor = element.parentNode; ancestor && ancestor.nodeType === ELEMENT_NODE; ancestor = ancestor.parentNode) {
    const attributes = (ancestor as C14nElement).attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      const prefix = declaredPrefix(attribute);
      if (prefix === undefined || seen.has(prefix)) continue;
      seen.add(prefix);
      if (attribute.value !== "") found.push({ prefix, namespaceURI: attribute.value });
    }
  }
  return found;
}
