/** Small helpers to build namespaced elements with @xmldom/xmldom. */
import type { Document, Element } from "@xmldom/xmldom";
import { NS } from "../../xml/ns.js";

export type Child = Element | string;

/** Creates `qualifiedName` in `namespace`, with `attributes` (a `prefix:name` key must be declared in `PREFIXED_ATTRIBUTE_NAMESPACES`). */
export function element(
  document: Document,
  namespace: string,
  qualifiedName: string,
  attributes: Readonly<Record<string, string>> = {},
  children: readonly Child[] = [],
): Element {
  const created = document.createElementNS(namespace, qualifiedName);
  for (const [name, value] of Object.entries(attributes)) {
    const prefix = name.includes(":") ? name.slice(0, name.indexOf(":")) : undefined;
    if (prefix === undefined) created.setAttribute(name, value);
    else created.setAttributeNS(attributeNamespace(prefix), name, value);
  }
  for (const child of children) {
    created.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return created;
}

const PREFIXED_ATTRIBUTE_NAMESPACES: Readonly<Record<string, string>> = {
  xmlns: NS.xmlns,
  wsu: NS.wsu,
  wsse: NS.wsse,
  wsse11: NS.wsse11,
};

function attributeNamespace(prefix: string): string {
  const namespace = PREFIXED_ATTRIBUTE_NAMESPACES[prefix];
  if (namespace === undefined) throw new Error(`no namespace known for attribute prefix ${prefix}`);
  return namespace;
}

/** The first element child of `parent` with this namespace and local name. */
export function childElement(parent: Element, namespace: string, localName: string): Element | undefined {
  for (let child = parent.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 1) {
      const candidate = child as Element;
      if (candidate.namespaceURI === namespace && candidate.localName === localName) return candidate;
    }
  }
  return undefined;
}

/** The value of `wsu:Id` on `target`, adding `prefix-<random>` when absent. */
export function ensureWsuId(target: Element, prefix: string, newId: (prefix: string) => string): string {
  const existing = target.getAttributeNS(NS.wsu, "Id");
  if (existing) return existing;
  const id = newId(prefix);
  if (target.lookupNamespaceURI("wsu") !== NS.wsu) target.setAttributeNS(NS.xmlns, "xmlns:wsu", NS.wsu);
  target.setAttributeNS(NS.wsu, "wsu:Id", id);
  return id;
}
