/**
 * What the canonicalizers (exclusive-c14n.ts, inclusive-c14n.ts) share: the
 * read-only tree they walk, described by the DOM-subset properties both
 * @xmldom and our own tree provide; escaping of text and attribute values;
 * the sort orders; and a writer that hands output to a sink in chunks.
 * Spec: https://www.w3.org/TR/xml-c14n (§2.3 processing model, escaping
 * and ordering are the same in c14n 1.1 and exclusive c14n).
 */

import { TreeElement } from "../xml/tree.js";

/** A node of the parsed tree, as the canonicalizers read it. */
export interface C14nNode {
  readonly nodeType: number;
  readonly firstChild: C14nNode | null;
  readonly nextSibling: C14nNode | null;
  readonly parentNode: C14nNode | null;
}

export interface C14nAttribute {
  /** The qualified name as written: `p:name` or `name` (and `xmlns`, `xmlns:p` for declarations). */
  readonly name: string;
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly value: string;
}

export interface C14nElement extends C14nNode {
  readonly tagName: string;
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly attributes: { readonly length: number; readonly [index: number]: C14nAttribute };
}

export interface CanonicalSink {
  write(chunk: string): void;
  /** Bytes of the request that are already canonical (UTF-8); without it they come to `write` as text. */
  writeBytes?(chunk: Uint8Array): void;
}

/** A namespace binding in scope at the apex, declared on one of its ancestors. */
export interface InheritedNamespace {
  readonly prefix: string;
  readonly namespaceURI: string;
}

/** Thrown by a renderer for input it refuses to canonicalize (a processing instruction, ...). */
export class NotCanonicalizable extends Error {}

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
export const COMMENT_NODE = 8;

export const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";

const NODE_NAMES: Readonly<Record<number, string>> = { 5: "an entity reference", 7: "a processing instruction", 10: "a document type" };

/** The refusal of a node the canonical form must not contain (a PI's data is never rendered as text). */
export function refusedNode(node: C14nNode): NotCanonicalizable {
  return new NotCanonicalizable(`${NODE_NAMES[node.nodeType] ?? `node type ${node.nodeType}`} inside the canonicalized element`);
}

/** The character data of a text or CDATA node. */
export function textOf(node: C14nNode): string {
  return (node as unknown as { readonly data: string }).data;
}

/** "" for `xmlns`, the prefix for `xmlns:p`, undefined for an ordinary attribute. */
export function declaredPrefix(attribute: C14nAttribute): string | undefined {
  if (attribute.name === "xmlns") return "";
  if (attribute.prefix === "xmlns") return attribute.localName ?? "";
  return undefined;
}

/** Output is handed to the sink in chunks of about this many UTF-16 units. */
const CHUNK_UNITS = 64 * 1024;

/** Buffers output and hands it to the sink in chunks, so a large element is never one string. */
export class ChunkedWriter {
  private out = "";

  constructor(private readonly sink: CanonicalSink) {}

  write(text: string): void {
    this.out += text;
    if (this.out.length >= CHUNK_UNITS) this.flush();
  }

  flush(): void {
    if (this.out !== "") this.sink.write(this.out);
    this.out = "";
  }

  /** Writes the source text of `element`'s document from `from` to `to` (a part already in canonical form). */
  writeSource(element: TreeElement, from: number, to: number): void {
    if (to <= from) return;
    this.flush();
    const document = element.ownerDocument;
    if (document.asciiSource && this.sink.writeBytes) this.sink.writeBytes(document.asciiSource.subarray(from, to));
    else document.source.writeEach(from, to, (piece) => this.sink.write(piece));
  }
}

/**
 * `element` when it comes from our own parser (tree.ts), which records
 * which parts of the source are already canonical; undefined for any other
 * DOM (e.g. @xmldom's in the signer), which is always rendered.
 */
export function sourceSpans(element: C14nElement): TreeElement | undefined {
  return element instanceof TreeElement ? element : undefined;
}

/** Orders strings by UTF-16 code unit, as c14n asks (not by locale). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Attributes sort by namespace URI (none first), then local name. */
export function compareAttributes(a: C14nAttribute, b: C14nAttribute): number {
  return compareCodeUnits(a.namespaceURI ?? "", b.namespaceURI ?? "") || compareCodeUnits(a.localName ?? a.name, b.localName ?? b.name);
}

const TEXT_SPECIAL = /[&<>\r]/;
const ATTRIBUTE_SPECIAL = /[&<"\t\n\r]/;

/** Text and CDATA content: & < > and CR escaped. */
export function escapeText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;");
}

/** Attribute and namespace values: & < " TAB LF CR escaped. */
export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value;
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#x9;")
    .replace(/\n/g, "&#xA;")
    .replace(/\r/g, "&#xD;");
}
