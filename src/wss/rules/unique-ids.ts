/**
 * Rule: ids are unique in the document. Every wsu:Id and every unqualified
 * Id / ID / id attribute is collected (by the request parser while it builds
 * the tree, or here by one pass over another DOM, e.g. in tests); a
 * value that names two different elements refuses the message (the
 * classic signature-wrapping move is a second element with the signed id).
 * Signature references are then resolved in this one map only.
 */
import { isTreeDocument, type Document, type Element } from "../../xml/tree.js";
import { nextElementInDocumentOrder } from "../../xml/navigate.js";
import { NS } from "../../xml/ns.js";

export type IdMapResult =
  | { readonly kind: "ids"; readonly elementsById: ReadonlyMap<string, Element> }
  | { readonly kind: "duplicate"; readonly reason: string };

const UNQUALIFIED_ID_NAMES = new Set(["Id", "ID", "id"]);

export function collectIds(document: Document): IdMapResult {
  const elementsById = new Map<string, Element>();
  if (isTreeDocument(document)) {
    for (const { value, element } of document.ids) {
      const existing = elementsById.get(value);
      if (existing && existing !== element) return { kind: "duplicate", reason: `id "${value.slice(0, 64)}" names more than one element` };
      elementsById.set(value, element);
    }
    return { kind: "ids", elementsById };
  }
  const root = document.documentElement;
  if (!root) return { kind: "ids", elementsById };
  // Iterative pre-order walk along first-child / next-sibling links: no recursion (depth is bounded
  // only by the parser's limits) and no per-element allocation.
  let element: Element | null = root;
  while (element) {
    const attributes = element.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      if (!isIdAttribute(attribute.namespaceURI, attribute.localName ?? attribute.name)) continue;
      const existing = elementsById.get(attribute.value);
      if (existing && existing !== element) {
        return { kind: "duplicate", reason: `id "${attribute.value.slice(0, 64)}" names more than one element` };
      }
      elementsById.set(attribute.value, element);
    }
    element = nextElementInDocumentOrder(element, root);
  }
  return { kind: "ids", elementsById };
}

function isIdAttribute(namespace: string | null, localName: string): boolean {
  if (namespace === NS.wsu) return localName === "Id";
  return !namespace && UNQUALIFIED_ID_NAMES.has(localName);
}
