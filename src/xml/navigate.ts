/**
 * Navigation of the one parsed tree (or any DOM offering the read-only
 * subset of `tree.ts`): element children, children by namespace and local
 * name, strict text, attributes. Elements are selected by namespace and
 * position, never by prefix or `local-name()`. `soap/`, `wss/` and the
 * pipeline ask this module and keep no DOM helpers of their own.
 */
import { CDATA_SECTION_NODE, ELEMENT_NODE, TEXT_NODE, type Element, type Node } from "./tree.js";

/** The element children of `parent`, in document order. */
export function elementChildren(parent: Element): Element[] {
  const children: Element[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) children.push(child as Element);
  }
  return children;
}

/** The element children of `parent` with this namespace and local name, in document order. */
export function childrenNamed(parent: Element, namespace: string, localName: string): Element[] {
  return elementChildren(parent).filter((child) => child.namespaceURI === namespace && child.localName === localName);
}

/** The next element after `element` in document order within `root`'s subtree, or null. */
export function nextElementInDocumentOrder(element: Element, root: Element): Element | null {
  const firstChild = firstElementFrom(element.firstChild);
  if (firstChild) return firstChild;
  for (let current: Node | null = element; current && current !== root; current = current.parentNode) {
    const sibling = firstElementFrom(current.nextSibling);
    if (sibling) return sibling;
  }
  return null;
}

function firstElementFrom(node: Node | null): Element | null {
  for (let current = node; current; current = current.nextSibling) {
    if (current.nodeType === ELEMENT_NODE) return current as Element;
  }
  return null;
}

/** The siblings that follow `node`, in document order. */
export function nodesAfter(node: Node): Node[] {
  const nodes: Node[] = [];
  for (let next = node.nextSibling; next; next = next.nextSibling) nodes.push(next);
  return nodes;
}

/** A text or CDATA node holding only white space. */
export function isWhitespaceText(node: Node): boolean {
  return (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) && /^\s*$/.test(node.nodeValue ?? "");
}

/**
 * The text of an element that may hold only text. A child element, comment
 * or processing instruction makes it undefined: a comment splitting a
 * DigestValue is a known trick to make two parsers read different values.
 */
export function strictText(element: Element): string | undefined {
  let text = "";
  for (let child = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType !== TEXT_NODE && child.nodeType !== CDATA_SECTION_NODE) return undefined;
    text += child.nodeValue ?? "";
  }
  return text;
}

/** An unqualified attribute's value, or undefined when absent. */
export function attribute(element: Element, name: string): string | undefined {
  return element.hasAttribute(name) ? element.getAttribute(name) ?? "" : undefined;
}

/** A namespace-qualified attribute's value, or undefined when absent. */
export function attributeNS(element: Element, namespace: string, localName: string): string | undefined {
  return element.hasAttributeNS(namespace, localName) ? element.getAttributeNS(namespace, localName) ?? "" : undefined;
}
