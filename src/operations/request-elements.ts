/**
 * Reading an operation element's children (SPEC §4): unqualified, or in the
 * table's namespace; each value is text only. Anything else is a client fault.
 */
import type { Element, Node, TreeDocument } from "../xml/tree.js";
import type { TableDef } from "../config/types.js";
import { clientFault } from "../soap/faults.js";
import { NS, tableNamespace } from "../xml/ns.js";
import * as records from "../xml/tree-records.js";
import { quoteClientText } from "./values.js";

// Module-local copies of the record readers: run through tsx, a binding read across modules is a getter call.
const { firstChildAt, nextSiblingAt, kindAt, namespaceAtomAt, localNameAt, isBlankDataAt, dataAt, attributeNSAt, NONE } = records;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

export interface RequestChild {
  /** The local name. */
  readonly name: string;
  readonly element: Element;
}

/** The element children of `parent`, namespace-checked; stray non-blank text is refused. */
export function requestChildren(parent: Element, table: TableDef): RequestChild[] {
  const children: RequestChild[] = [];
  scanRequestChildren(parent, tableNamespace(table.name), (name, element) => {
    children.push({ name, element });
  });
  return children;
}

/**
 * `requestChildren` without the array: calls `onChild` with each element
 * child's local name, in order, once every child has been checked (so a
 * fault names the first offending child whatever `onChild` does).
 * `tableNs` is `tableNamespace(table.name)`.
 */
export function scanRequestChildren(parent: Element, tableNs: string, onChild: (name: string, element: Element) => void): void {
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) {
      const element = node as Element;
      const namespace = element.namespaceURI;
      if (namespace !== null && namespace !== "" && namespace !== tableNs) {
        throw clientFault(`Element ${quoteClientText(element.localName ?? element.nodeName)} is in an unexpected namespace`);
      }
    } else if (isText(node)) {
      if ((node.nodeValue ?? "").trim() !== "") {
        throw clientFault(`Unexpected text in ${quoteClientText(parent.localName ?? parent.nodeName)}`);
      }
    } else if (!isIgnorable(node)) {
      throw clientFault(`Unexpected content in ${quoteClientText(parent.localName ?? parent.nodeName)}`);
    }
  }
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) {
      const element = node as Element;
      onChild(element.localName ?? element.nodeName, element);
    }
  }
}

/**
 * The text of a value element: the concatenated text and CDATA, or null
 * when the element says `xsi:nil="true"` (and is then empty).
 */
export function childText(child: RequestChild): string | null {
  return elementText(child.element, child.name);
}

/** `childText` of the element `element`, whose local name is `name`. */
export function elementText(element: Element, name: string): string | null {
  let text = "";
  for (let node = element.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) {
      throw clientFault(`Field ${quoteClientText(name)} must contain text only`);
    }
    if (isText(node)) text += node.nodeValue ?? "";
    else if (!isIgnorable(node)) throw clientFault(`Field ${quoteClientText(name)} must contain text only`);
  }
  const nil = element.getAttributeNS(NS.xsi, "nil");
  if (nil === "true" || nil === "1") {
    if (text !== "") throw clientFault(`Field ${quoteClientText(name)} is nil but has content`);
    return null;
  }
  return text;
}

/** Refuses a second element of the same name among `children`. */
export function refuseRepeats(children: readonly RequestChild[]): void {
  refuseRepeatedNames(children.map((child) => child.name));
}

/** `refuseRepeats` over the children's local names. */
export function refuseRepeatedNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw clientFault(`Field ${quoteClientText(name)} is given more than once`);
    seen.add(name);
  }
}

// ---- The same rules read from a parsed request tree by record index (src/xml/tree-records.ts): no node objects. ----

/**
 * `scanRequestChildren` of element record `parent` of a request tree: checks
 * every child as it does (same faults, same first offender), then writes the
 * element children's records into `into` from index 0 and returns how many.
 * `tableAtom` is the document's atom of `tableNamespace(table.name)`
 * (`findAtom`; NONE when the request never names it).
 */
export function scanRequestChildrenAt(document: TreeDocument, parent: number, tableAtom: number, into: number[]): number {
  let count = 0;
  for (let node = firstChildAt(document, parent); node !== NONE; node = nextSiblingAt(document, node)) {
    const kind = kindAt(document, node);
    if (kind === ELEMENT_NODE) {
      const atom = namespaceAtomAt(document, node);
      if (atom !== NONE && atom !== tableAtom && document.atoms[atom] !== "") {
        throw clientFault(`Element ${quoteClientText(localNameAt(document, node))} is in an unexpected namespace`);
      }
      into[count++] = node;
    } else if (kind === TEXT_NODE || kind === CDATA_SECTION_NODE) {
      if (!isBlankDataAt(document, node)) throw clientFault(`Unexpected text in ${quoteClientText(localNameAt(document, parent))}`);
    } else if (kind !== COMMENT_NODE && kind !== PROCESSING_INSTRUCTION_NODE) {
      throw clientFault(`Unexpected content in ${quoteClientText(localNameAt(document, parent))}`);
    }
  }
  return count;
}

/** `elementText` of element record `index` of a request tree, whose local name is `name`. */
export function elementTextAt(document: TreeDocument, index: number, name: string): string | null {
  let text = "";
  for (let node = firstChildAt(document, index); node !== NONE; node = nextSiblingAt(document, node)) {
    const kind = kindAt(document, node);
    if (kind === TEXT_NODE || kind === CDATA_SECTION_NODE) text += dataAt(document, node);
    else if (kind !== COMMENT_NODE && kind !== PROCESSING_INSTRUCTION_NODE) {
      throw clientFault(`Field ${quoteClientText(name)} must contain text only`);
    }
  }
  const nil = attributeNSAt(document, index, NS.xsi, "nil");
  if (nil === "true" || nil === "1") {
    if (text !== "") throw clientFault(`Field ${quoteClientText(name)} is nil but has content`);
    return null;
  }
  return text;
}

function isText(node: Node): boolean {
  return node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE;
}

function isIgnorable(node: Node): boolean {
  return node.nodeType === COMMENT_NODE || node.nodeType === PROCESSING_INSTRUCTION_NODE;
}
