/**
 * Reading the request tree by record index, without node objects.
 *
 * `tree.ts` makes a node object for a record the first time code asks for
 * it (`firstChild`, `nextSibling`, ...) and keeps it for the request. That
 * is right for the WS-Security decision, which compares nodes by identity,
 * but a 1 MB `insertMultiple` has about 26,000 elements and as many text
 * records that only the operation reads, once: their objects were 16 % of
 * such a request plus the garbage collection they cause
 * (docs/performance.md, "After the decision"). These functions read the
 * same records through `TreeDocument.get` and its tables (`names`,
 * `atoms`, `attributeList`, `dataOf`), whose layout is stable (tree.ts).
 *
 * `treePosition` says whether an element belongs to such a tree at all; any
 * other DOM (@xmldom in tests and in the signer) is read through its nodes.
 */
import {
  CDATA_SECTION_NODE,
  DECODED,
  F_ATTRIBUTE_COUNT,
  F_ATTRIBUTE_START,
  F_END,
  F_FIRST_CHILD,
  F_FLAGS,
  F_KIND,
  F_NAME,
  F_NAMESPACE,
  F_NEXT,
  F_START,
  NONE,
  PLAIN_CONTENT,
  TEXT_NODE,
  TreeElement,
  type Element,
  type TreeDocument,
} from "./tree.js";

export { CDATA_SECTION_NODE, COMMENT_NODE, ELEMENT_NODE, NONE, PROCESSING_INSTRUCTION_NODE, TEXT_NODE } from "./tree.js";

/** Where an element of a parsed request tree sits: its document and its record. */
export interface TreePosition {
  readonly document: TreeDocument;
  readonly index: number;
}

/** The tree record of `element`, or undefined when it is a node of another DOM. */
export function treePosition(element: Element): TreePosition | undefined {
  return element instanceof TreeElement ? { document: element.ownerDocument, index: element.index } : undefined;
}

/** The node type (ELEMENT_NODE, TEXT_NODE, CDATA_SECTION_NODE, COMMENT_NODE) of record `index`. */
export function kindAt(document: TreeDocument, index: number): number {
  return document.get(index, F_KIND);
}

/** The first child record of `index`, or NONE. */
export function firstChildAt(document: TreeDocument, index: number): number {
  return document.get(index, F_FIRST_CHILD);
}

/** The next sibling record of `index`, or NONE. */
export function nextSiblingAt(document: TreeDocument, index: number): number {
  return document.get(index, F_NEXT);
}

/** The index of element `index`'s qualified name in `document.names` (equal indexes, equal names). */
export function nameIndexAt(document: TreeDocument, index: number): number {
  return document.get(index, F_NAME);
}

/** The local name of element `index` (its `localName`). */
export function localNameAt(document: TreeDocument, index: number): string {
  return document.names[document.get(index, F_NAME)]!.localName;
}

/** The atom (index in `document.atoms`) of element `index`'s namespace URI, or NONE for none (its `namespaceURI` is then null). */
export function namespaceAtomAt(document: TreeDocument, index: number): number {
  return document.get(index, F_NAMESPACE);
}

/** The atom of `value` in `document.atoms`, or NONE when no name of the document uses it. */
export function findAtom(document: TreeDocument, value: string): number {
  return document.atoms.indexOf(value);
}

/** `getAttributeNS(namespace, localName)` of element `index`. */
export function attributeNSAt(document: TreeDocument, index: number, namespace: string | null, localName: string): string | null {
  const count = document.get(index, F_ATTRIBUTE_COUNT);
  if (count === 0) return null;
  const wanted = namespace === "" ? null : namespace;
  const all = document.attributeList;
  const first = document.get(index, F_ATTRIBUTE_START);
  for (let i = first; i < first + count; i++) {
    const attribute = all[i]!;
    if (attribute.localName === localName && attribute.namespaceURI === wanted) return attribute.value;
  }
  return null;
}

/** The data of text, CDATA or comment record `index` (its `nodeValue`). */
export function dataAt(document: TreeDocument, index: number): string {
  return document.dataOf(index);
}

/**
 * Whether the data of character-data record `index` is empty once trimmed
 * as `String.prototype.trim` trims (`dataAt(…).trim() === ""`), without
 * cutting the usual white space out of the source.
 */
export function isBlankDataAt(document: TreeDocument, index: number): boolean {
  if ((document.get(index, F_FLAGS) & DECODED) === 0) {
    const text = document.source;
    const end = document.get(index, F_END);
    let pos = document.get(index, F_START);
    while (pos < end) {
      const code = text.charCodeAt(pos);
      if (code !== 0x20 && code !== 0x0a && code !== 0x09 && code !== 0x0d) break;
      pos++;
    }
    if (pos === end) return true;
  }
  return document.dataOf(index).trim() === "";
}

/** Whether record `index` is text or CDATA. */
export function isTextAt(document: TreeDocument, index: number): boolean {
  const kind = document.get(index, F_KIND);
  return kind === TEXT_NODE || kind === CDATA_SECTION_NODE;
}

/**
 * The text record that is element `index`'s whole content when its source
 * is its canonical form (the element is `plainContent`: no CR, no raw `>`,
 * no reference but `&amp;`, `&lt;`, `&gt;`), else NONE. Its source
 * (`sourceAt`) is then exactly its data escaped as a response escapes
 * character data (`escapeText`: `&`, `<`, `>` as those entities, CR as
 * `&#13;`), so a response can echo it without escaping the data again.
 */
export function canonicalTextAt(document: TreeDocument, index: number): number {
  if ((document.get(index, F_FLAGS) & PLAIN_CONTENT) === 0) return NONE;
  const child = document.get(index, F_FIRST_CHILD);
  if (child === NONE || document.get(child, F_KIND) !== TEXT_NODE || document.get(child, F_NEXT) !== NONE) return NONE;
  return child;
}

/** The source text of record `index` (for character data: as written, references not decoded). */
export function sourceAt(document: TreeDocument, index: number): string {
  return document.source.slice(document.get(index, F_START), document.get(index, F_END));
}

/**
 * `sourceAt` as the request's own bytes, when the request was all ASCII
 * (`asciiSource`: one byte per character, so the text's offsets are byte
 * offsets, and the bytes are that text's UTF-8): a view, no copy. Else
 * undefined.
 */
export function sourceBytesAt(document: TreeDocument, index: number): Uint8Array | undefined {
  return document.asciiSource?.subarray(document.get(index, F_START), document.get(index, F_END));
}
