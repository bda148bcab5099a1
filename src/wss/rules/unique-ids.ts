/**
 * Rule: ids are unique in the document. One pass over the whole tree
 * collects every wsu:Id and every unqualified Id / ID / id attribute; a
 * value that names two different elements refuses the message (the
 * classic signature-wrapping move is a second element with the signed id).
 * Signature references are then resolved in this one map only.
 */
import type { Document, Element } from "@xmldom/xmldom";
import { NS } from "../../xml/ns.js";

export type IdMapResult =
  | { readonly kind: "ids"; readonly elementsById: ReadonlyMap<string, Element> }
  | { readonly kind: "duplicate"; readonly reason: string };

const ELEMENT_NODE = 1;
const UNQUALIFIED_ID_NAMES = new Set(["Id", "ID", "id"]);

export function collectIds(document: Document): IdMapResult {
  const elementsById = new Map<string, Element>();
  const root = document.documentElement;
  if (!root) return { kind: "ids", elementsById };
  // Iterative pre-order walk: no recursion, so depth is bounded only by the parser's limits.
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const element = stack.pop()!;
    const attributes = element.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes.item(i)!;
      if (!isIdAttribute(attribute.namespaceURI, attribute.localName ?? attribute.name)) continue;
      const existing = elementsById.get(attribute.value);
      if (existing && existing !== element) {
        return { kind: "duplicate", reason: `id "${attribute.value.slice(0, 64)}" names more than one element` };
      }
      elementsById.set(attribute.value, element);
    }
    const children: Element[] = [];
    for (let child = element.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === ELEMENT_NODE) children.push(child as Element);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return { kind: "ids", elementsById };
}

function isIdAttribute(namespace: string | null, localName: string): boolean {
  if (namespace === NS.wsu) return localName === "Id";
  return !namespace && UNQUALIFIED_ID_NAMES.has(localName);
}
