/** Small DOM helpers for the WS-Security processors: select by namespace and local name, read text strictly. */
import type { Element } from "../xml/tree.js";
import { elementChildren } from "../soap/envelope.js";

const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/** The element children of `parent` with this namespace and local name, in document order. */
export function childrenNamed(parent: Element, namespace: string, localName: string): Element[] {
  return elementChildren(parent).filter((child) => child.namespaceURI === namespace && child.localName === localName);
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

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64: XML whitespace is dropped, then only the canonical alphabet with correct padding is accepted. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const compact = text.replace(/[ \t\r\n]+/g, "");
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, "base64");
}
