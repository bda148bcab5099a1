/**
 * The compact, read-only tree of one parsed request (built by `tree-parser.ts`).
 *
 * The structure lives in Int32Array pages, a fixed-size record per node
 * (kind, flags, parent, children, next sibling, source offsets, interned
 * name and namespace), so a 1 MB request is a few megabytes of integers the
 * garbage collector never traces, not tens of thousands of objects to copy.
 * Pages are 64 KB and reused from request to request (a released tree
 * gives them back, see `release()`): fresh memory per request costs more
 * in page faults than the parse itself.
 * Strings are not cut out of the source while parsing: names and namespace
 * URIs are interned per document, and a text's data is sliced from the
 * source when read (only text with references or CR is kept decoded).
 *
 * Code reads the tree through small node objects made on first access and
 * kept (so a node is always the same object: the element dispatched is the
 * element whose digest was checked). They expose the subset of the W3C DOM
 * the gateway reads, under the DOM's property names (`nodeType`,
 * `parentNode`, `firstChild`, `nextSibling`, `localName`, `namespaceURI`,
 * `attributes`, ...), so the same code reads this tree and, in tests or the
 * signer, an @xmldom/xmldom one: the interfaces `Node`, `Element`,
 * `Document`, `Attr` below are satisfied by both. Nothing can modify a tree.
 *
 * Each element records where it sits in the decoded text (`start` at its
 * `<`, `end` just after its end tag or `/>`), and whether its tags and its
 * content are already canonical there, so canonical bytes can be taken from
 * the source (`c14n-output.ts`).
 */
import type { SourceText } from "./source-text.js";

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
export const PROCESSING_INSTRUCTION_NODE = 7;
export const COMMENT_NODE = 8;
export const DOCUMENT_NODE = 9;

/** What every node offers (the read-only DOM subset in use). */
export interface Node {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue: string | null;
  readonly parentNode: Node | null;
  readonly firstChild: Node | null;
  readonly lastChild: Node | null;
  readonly nextSibling: Node | null;
  readonly previousSibling: Node | null;
  readonly ownerDocument: Document | null;
}

export interface Attr {
  /** The qualified name as written (`wsu:Id`, `xmlns:ds`, `Id`). */
  readonly name: string;
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly value: string;
}

export interface AttributeList {
  readonly length: number;
  readonly [index: number]: Attr;
  item(index: number): Attr | null;
}

export interface Element extends Node {
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly prefix: string | null;
  readonly tagName: string;
  readonly attributes: AttributeList;
  getAttribute(qualifiedName: string): string | null;
  getAttributeNS(namespace: string | null, localName: string): string | null;
  hasAttribute(qualifiedName: string): boolean;
  hasAttributeNS(namespace: string | null, localName: string): boolean;
}

/** Text, CDATA, comment and processing instruction nodes. */
export interface CharacterData extends Node {
  readonly data: string;
}

export interface Document extends Node {
  readonly documentElement: Element | null;
}

/** An id-typed attribute seen while building: a `wsu:Id`, or an unqualified `Id`, `ID` or `id`. */
export interface IdAttribute {
  readonly value: string;
  readonly element: Element;
}

export type ChildNode = TreeElement | TreeCharacterData;
export type ParentNode = TreeElement | TreeDocument;

// ---- The node record: STRIDE int32 fields per node; node 0 is the document. ----
export const STRIDE = 16;
/** Node type (ELEMENT_NODE, TEXT_NODE, ...). */
export const F_KIND = 0;
/** Bits of FLAG_*. */
export const F_FLAGS = 1;
export const F_PARENT = 2;
export const F_FIRST_CHILD = 3;
export const F_LAST_CHILD = 4;
export const F_NEXT = 5;
/** Element: atom of the namespace ("" for none) of the elements inside (see `plainContent`). */
export const F_CONTENT_NAMESPACE = 6;
/** Element: offset of the `<` of its start tag. Character data: offset of its first character of data. */
export const F_START = 7;
/** Element: offset just after its end tag's `>` (or its `/>`). Character data: offset just after its data. */
export const F_END = 8;
/** Element: offset just after the start tag's `>`. */
export const F_START_TAG_END = 9;
/** Element: offset of the end tag's `<`; -1 for an empty-element tag. */
export const F_END_TAG_START = 10;
/** Element: index of its qualified name in `TreeDocument.names`. */
export const F_NAME = 11;
/** Element: atom of its namespace URI, -1 for none. */
export const F_NAMESPACE = 12;
/** Element: index of its first attribute in `TreeDocument.attributeList`; with F_ATTRIBUTE_COUNT. */
export const F_ATTRIBUTE_START = 13;
export const F_ATTRIBUTE_COUNT = 14;
/** Element: atom of the prefix ("" for none) every element inside uses, -1 when there is none (see `plainContent`). */
export const F_CONTENT_PREFIX = 15;

/** Element flag: tags already canonical in the source (see TreeElement.plainTags). */
export const PLAIN_TAGS = 1;
/** Element flag: content already canonical in the source (see TreeElement.plainContent). */
export const PLAIN_CONTENT = 2;
/** Character data flag: `data` is kept decoded in `TreeDocument.decodedData`, at the slot in F_NAME (it had references or CR). */
export const DECODED = 4;

export const NONE = -1;

/** Node records per page (a power of two): 1024 × STRIDE int32 = 64 KB. */
const PAGE_SHIFT = 10;
const PAGE_MASK = (1 << PAGE_SHIFT) - 1;
/** Slots of the name cache (a power of two): names hash by first and last character and length. */
const RECENT_NAME_MASK = 255;
const FULL_PAGE_LENGTH = (PAGE_MASK + 1) * STRIDE;

/**
 * Pages of finished documents, for the next parses: on a virtual machine a
 * fresh page of memory costs more in page faults than filling it (typed
 * arrays allocated per request made a 100 KB parse 2.5x slower than objects
 * on the collector's reused heap). A page comes back only when its document
 * is released at the end of its request (`release()`, after which reading
 * that document throws), never while a node of it can still be read; every
 * field of a record is written when the record is added, so nothing of an
 * earlier request is ever read.
 */
const pagePool: Int32Array[] = [];
/** Name caches of finished documents (filled afresh when taken). */
const recentNamesPool: Int32Array[] = [];
const MAX_POOLED_PAGES = 256;

function fullPage(): Int32Array {
  return pagePool.pop() ?? new Int32Array(FULL_PAGE_LENGTH);
}

/** An element's qualified name, interned per document. */
export interface QualifiedName {
  readonly tagName: string;
  readonly prefix: string | null;
  readonly localName: string;
  /** Atom of `prefix ?? ""`. */
  readonly prefixAtom: number;
}

export class TreeAttribute implements Attr {
  constructor(
    readonly name: string,
    readonly prefix: string | null,
    readonly localName: string,
    readonly namespaceURI: string | null,
    readonly value: string,
  ) {}
}

/** An array-like list of attributes in document order (index, `length`, `item(i)`). */
export class TreeAttributeList implements AttributeList {
  [index: number]: TreeAttribute;
  length = 0;

  item(index: number): TreeAttribute | null {
    return index >= 0 && index < this.length ? this[index]! : null;
  }
}

/** The list every element without attributes shares. */
export const EMPTY_ATTRIBUTES: TreeAttributeList = Object.freeze(new TreeAttributeList()) as TreeAttributeList;

/** Read-only tree: `appendChild`/`removeChild` exist only so DOM-shape checks (e.g. xml-crypto's) recognize a node. */
function readOnly(): never {
  throw new Error("the request tree is read-only");
}

export class TreeElement implements Element {
  private attributeCache: TreeAttributeList | undefined;

  constructor(
    readonly ownerDocument: TreeDocument,
    /** This node's record in the document. */
    readonly index: number,
  ) {}

  get nodeType(): typeof ELEMENT_NODE {
    return ELEMENT_NODE;
  }

  private field(field: number): number {
    return this.ownerDocument.get(this.index, field);
  }

  private get qualifiedName(): QualifiedName {
    return this.ownerDocument.names[this.field(F_NAME)]!;
  }

  get tagName(): string {
    return this.qualifiedName.tagName;
  }

  get nodeName(): string {
    return this.qualifiedName.tagName;
  }

  get prefix(): string | null {
    return this.qualifiedName.prefix;
  }

  get localName(): string {
    return this.qualifiedName.localName;
  }

  get namespaceURI(): string | null {
    const atom = this.field(F_NAMESPACE);
    return atom === NONE ? null : this.ownerDocument.atoms[atom]!;
  }

  get nodeValue(): null {
    return null;
  }

  get parentNode(): ParentNode | null {
    return this.ownerDocument.parentAt(this.field(F_PARENT));
  }

  get firstChild(): ChildNode | null {
    return this.ownerDocument.nodeAt(this.field(F_FIRST_CHILD));
  }

  get lastChild(): ChildNode | null {
    return this.ownerDocument.nodeAt(this.field(F_LAST_CHILD));
  }

  get nextSibling(): ChildNode | null {
    return this.ownerDocument.nodeAt(this.field(F_NEXT));
  }

  get previousSibling(): ChildNode | null {
    return this.ownerDocument.previousSiblingOf(this.index);
  }

  /** Offset of the `<` of the start tag in the decoded text. */
  get start(): number {
    return this.field(F_START);
  }

  /** Offset just after the end tag's `>` (or the `/>`). */
  get end(): number {
    return this.field(F_END);
  }

  /** Offset just after the start tag's `>`. */
  get startTagEnd(): number {
    return this.field(F_START_TAG_END);
  }

  /** Offset of the end tag's `<` (-1 for an empty-element tag). */
  get endTagStart(): number {
    return this.field(F_END_TAG_START);
  }

  /**
   * Whether the element's tags are already in canonical form in the source:
   * no attributes (hence no namespace declaration), written exactly as
   * `<name>` and `</name>` (not as `<name/>`, no white space).
   */
  get plainTags(): boolean {
    return (this.field(F_FLAGS) & PLAIN_TAGS) !== 0;
  }

  /**
   * Whether everything between the tags is already canonical in the source:
   * only plain-tagged elements whose descendants all use one prefix bound to
   * one namespace (`contentPrefix`, `contentNamespace`), and text without a
   * CR, a raw `>` or a reference other than `&amp;`, `&lt;`, `&gt;`; no
   * comment, CDATA section or empty-element tag.
   */
  get plainContent(): boolean {
    return (this.field(F_FLAGS) & PLAIN_CONTENT) !== 0;
  }

  /** The prefix ("" for none) of every element inside, or null when there is none; meaningful when `plainContent`. */
  get contentPrefix(): string | null {
    const atom = this.field(F_CONTENT_PREFIX);
    return atom === NONE ? null : this.ownerDocument.atoms[atom]!;
  }

  /** The namespace ("" for none) those elements are in. */
  get contentNamespace(): string {
    return this.ownerDocument.atoms[this.field(F_CONTENT_NAMESPACE)]!;
  }

  get attributes(): TreeAttributeList {
    if (this.attributeCache) return this.attributeCache;
    const count = this.field(F_ATTRIBUTE_COUNT);
    if (count === 0) return (this.attributeCache = EMPTY_ATTRIBUTES);
    const list = new TreeAttributeList();
    const first = this.field(F_ATTRIBUTE_START);
    const all = this.ownerDocument.attributeList;
    for (let i = 0; i < count; i++) list[i] = all[first + i]!;
    list.length = count;
    return (this.attributeCache = list);
  }

  /** The children as an array (for DOM consumers that index `childNodes`). */
  get childNodes(): ChildNode[] {
    const children: ChildNode[] = [];
    for (let child = this.firstChild; child; child = child.nextSibling) children.push(child);
    return children;
  }

  /** The concatenated text and CDATA of the descendants (as DOM's `textContent`). */
  get textContent(): string {
    return this.ownerDocument.textContentOf(this.index);
  }

  /** The descendant elements with this namespace and local name ("*" matches any), in document order. */
  getElementsByTagNameNS(namespace: string | null, localName: string): TreeElement[] {
    return this.ownerDocument.elementsByName(this.index, namespace, localName);
  }

  getAttribute(qualifiedName: string): string | null {
    // Read from the document's attribute list directly: no per-element list is made for a lookup.
    const all = this.ownerDocument.attributeList;
    const first = this.field(F_ATTRIBUTE_START);
    const end = first + this.field(F_ATTRIBUTE_COUNT);
    for (let i = first; i < end; i++) if (all[i]!.name === qualifiedName) return all[i]!.value;
    return null;
  }

  hasAttribute(qualifiedName: string): boolean {
    return this.getAttribute(qualifiedName) !== null;
  }

  getAttributeNS(namespace: string | null, localName: string): string | null {
    const wanted = namespace === "" ? null : namespace;
    const all = this.ownerDocument.attributeList;
    const first = this.field(F_ATTRIBUTE_START);
    const end = first + this.field(F_ATTRIBUTE_COUNT);
    for (let i = first; i < end; i++) {
      const attribute = all[i]!;
      if (attribute.localName === localName && attribute.namespaceURI === wanted) return attribute.value;
    }
    return null;
  }

  hasAttributeNS(namespace: string | null, localName: string): boolean {
    return this.getAttributeNS(namespace, localName) !== null;
  }

  appendChild(): never {
    return readOnly();
  }

  removeChild(): never {
    return readOnly();
  }
}

const CHARACTER_DATA_NAMES: Record<number, string> = {
  [TEXT_NODE]: "#text",
  [CDATA_SECTION_NODE]: "#cdata-section",
  [COMMENT_NODE]: "#comment",
};

export class TreeCharacterData implements CharacterData {
  constructor(
    readonly ownerDocument: TreeDocument,
    readonly index: number,
  ) {}

  get nodeType(): typeof TEXT_NODE | typeof CDATA_SECTION_NODE | typeof COMMENT_NODE {
    return this.ownerDocument.get(this.index, F_KIND) as typeof TEXT_NODE | typeof CDATA_SECTION_NODE | typeof COMMENT_NODE;
  }

  get nodeName(): string {
    return CHARACTER_DATA_NAMES[this.nodeType]!;
  }

  /** The character data after line-end normalization and reference expansion. */
  get data(): string {
    return this.ownerDocument.dataOf(this.index);
  }

  get nodeValue(): string {
    return this.data;
  }

  get textContent(): string {
    return this.data;
  }

  /** Offset of the first character of the data in the source. */
  get start(): number {
    return this.ownerDocument.get(this.index, F_START);
  }

  get parentNode(): ParentNode | null {
    return this.ownerDocument.parentAt(this.ownerDocument.get(this.index, F_PARENT));
  }

  get nextSibling(): ChildNode | null {
    return this.ownerDocument.nodeAt(this.ownerDocument.get(this.index, F_NEXT));
  }

  get previousSibling(): ChildNode | null {
    return this.ownerDocument.previousSiblingOf(this.index);
  }

  get firstChild(): null {
    return null;
  }

  get lastChild(): null {
    return null;
  }

  appendChild(): never {
    return readOnly();
  }

  removeChild(): never {
    return readOnly();
  }
}

export class TreeDocument implements Document {
  readonly nodeType = DOCUMENT_NODE;
  readonly nodeName = "#document";
  readonly nodeValue = null;
  readonly parentNode = null;
  readonly previousSibling = null;
  readonly nextSibling = null;
  readonly ownerDocument = null;
  /** The node records, 2^PAGE_SHIFT per page (STRIDE fields each; node 0 is this document). Written by the parser only. */
  private pages: Int32Array[] = [];
  /** The number of node records in use. */
  count = 1;
  /** Interned strings (prefixes, namespace URIs), by atom. */
  readonly atoms: string[] = [];
  private readonly atomIndex = new Map<string, number>();
  /** The atom of "". */
  readonly emptyAtom = this.atom("");
  /** Interned qualified names of elements. */
  readonly names: QualifiedName[] = [];
  private readonly nameIndex = new Map<string, number>();
  /** The name cache (see `recentName`); a pooled array, like the pages (a fresh typed array costs more than a small parse's names). */
  private readonly recentNames = recentNamesPool.pop()?.fill(NONE) ?? new Int32Array(RECENT_NAME_MASK + 1).fill(NONE);
  /** By name index: its length, and where in the source it was last seen (see `recentName`). */
  private readonly nameLengths: number[] = [];
  private readonly nameSourceStarts: number[] = [];
  /** Every element's attributes, consecutive per element, in document order. */
  readonly attributeList: TreeAttribute[] = [];
  /** The data of the character data nodes that had references or CR, by the slot in their F_NAME field. */
  readonly decodedData: string[] = [];
  /** Every id-typed attribute, in document order (filled while building). */
  readonly ids: IdAttribute[] = [];
  /** The number of elements. */
  elementCount = 0;
  /** Index of the document element (0 until there is one). */
  rootIndex = 0;
  /**
   * The request's bytes when they are all ASCII, so that offsets into `text`
   * are offsets into them too (canonical parts are then hashed from the bytes).
   */
  asciiSource: Uint8Array | undefined = undefined;
  private readonly nodes: (ChildNode | undefined)[] = [];

  /** `source` is the decoded text the offsets of the nodes refer to. */
  constructor(readonly source: SourceText) {
    // Every page is full-sized, so that every page goes back to the pool: a small request too reuses memory.
    const first = fullPage();
    first.fill(0, 0, STRIDE); // the document's own record (a pooled page holds an earlier request's)
    first[F_KIND] = DOCUMENT_NODE;
    first[F_PARENT] = NONE;
    first[F_NEXT] = NONE;
    first[F_FIRST_CHILD] = NONE;
    first[F_LAST_CHILD] = NONE;
    this.pages.push(first);
  }

  /**
   * Ends the document's life at the end of its request: its full pages go
   * back to the pool, and any later read of its structure throws instead of
   * reading what a later request wrote there.
   */
  release(): void {
    const pages = this.pages;
    this.pages = [];
    this.nodes.length = 0;
    for (const page of pages) if (pagePool.length < MAX_POOLED_PAGES) pagePool.push(page);
    // Only the first release gives the name cache back (a second must not put it in the pool twice).
    if (pages.length > 0 && recentNamesPool.length < MAX_POOLED_PAGES) recentNamesPool.push(this.recentNames);
  }

  /** Field `field` of node record `index`. */
  get(index: number, field: number): number {
    return this.pages[index >> PAGE_SHIFT]![(index & PAGE_MASK) * STRIDE + field]!;
  }

  get documentElement(): TreeElement | null {
    return this.rootIndex === 0 ? null : (this.nodeAt(this.rootIndex) as TreeElement);
  }

  get firstChild(): ChildNode | null {
    return this.nodeAt(this.get(0, F_FIRST_CHILD));
  }

  get lastChild(): ChildNode | null {
    return this.nodeAt(this.get(0, F_LAST_CHILD));
  }

  /** The node object of record `index` (made once), or null for NONE. */
  nodeAt(index: number): ChildNode | null {
    if (index <= 0) return null;
    const made = this.nodes[index];
    if (made) return made;
    const node = this.get(index, F_KIND) === ELEMENT_NODE ? new TreeElement(this, index) : new TreeCharacterData(this, index);
    this.nodes[index] = node;
    return node;
  }

  /** The parent of a node: this document for 0, an element otherwise, null for NONE. */
  parentAt(index: number): ParentNode | null {
    if (index === 0) return this;
    return index < 0 ? null : (this.nodeAt(index) as TreeElement);
  }

  /** The previous sibling of node `index` (not recorded: found from the parent's first child). */
  previousSiblingOf(index: number): ChildNode | null {
    let previous = NONE;
    for (let node = this.get(this.get(index, F_PARENT), F_FIRST_CHILD); node !== index && node !== NONE; node = this.get(node, F_NEXT)) previous = node;
    return this.nodeAt(previous);
  }

  dataOf(index: number): string {
    if ((this.get(index, F_FLAGS) & DECODED) !== 0) return this.decodedData[this.get(index, F_NAME)]!;
    return this.source.slice(this.get(index, F_START), this.get(index, F_END));
  }

  /** The concatenated text and CDATA inside element `index`. */
  textContentOf(index: number): string {
    let text = "";
    for (let node = this.get(index, F_FIRST_CHILD); node !== NONE; node = this.nextInSubtree(node, index)) {
      const kind = this.get(node, F_KIND);
      if (kind === TEXT_NODE || kind === CDATA_SECTION_NODE) text += this.dataOf(node);
    }
    return text;
  }

  /** The elements with this namespace and local name ("*" matches any), in document order. */
  getElementsByTagNameNS(namespace: string | null, localName: string): TreeElement[] {
    if (this.rootIndex === 0) return [];
    const found = this.matches(this.rootIndex, namespace, localName) ? [this.nodeAt(this.rootIndex) as TreeElement] : [];
    return found.concat(this.elementsByName(this.rootIndex, namespace, localName));
  }

  /** The descendant elements of element `root` with this namespace and local name, in document order. */
  elementsByName(root: number, namespace: string | null, localName: string): TreeElement[] {
    const found: TreeElement[] = [];
    for (let node = this.get(root, F_FIRST_CHILD); node !== NONE; node = this.nextInSubtree(node, root)) {
      if (this.get(node, F_KIND) === ELEMENT_NODE && this.matches(node, namespace, localName)) found.push(this.nodeAt(node) as TreeElement);
    }
    return found;
  }

  appendChild(): never {
    return readOnly();
  }

  removeChild(): never {
    return readOnly();
  }

  // ---- For the builder (tree-parser.ts) only. ----

  /** The atom of `value`, interned. */
  atom(value: string): number {
    let atom = this.atomIndex.get(value);
    if (atom === undefined) {
      atom = this.atoms.length;
      this.atoms.push(value);
      this.atomIndex.set(value, atom);
    }
    return atom;
  }

  /**
   * The index of the interned name written in the source from `start` to
   * `end` (read from `units`, the source's code units), or undefined: a
   * cache slot found by first and last character and length, checked
   * character by character against where that name was written before (no string is cut, and `startsWith`, a builtin call, was
   * the costliest line of a start tag).
   */
  recentName(units: Uint16Array, start: number, end: number): number | undefined {
    const length = end - start;
    const slot = this.recentNames[nameHash(units[start]!, units[end - 1]!, length)]!;
    if (slot === NONE || this.nameLengths[slot] !== length) return undefined;
    const seen = this.nameSourceStarts[slot]!;
    for (let i = 0; i < length; i++) if (units[seen + i] !== units[start + i]) return undefined;
    return slot;
  }

  /** The index of the interned name written in the source from `start` to `end` (`tagName`), or undefined when not yet interned; it takes the cache slot. */
  nameOf(tagName: string, start: number): number | undefined {
    const index = this.nameIndex.get(tagName);
    if (index !== undefined) this.remember(index, tagName, start);
    return index;
  }

  /** Interns the element name `tagName`, written in the source at `start`. */
  internName(tagName: string, prefix: string | null, localName: string, start: number): number {
    const index = this.names.length;
    this.names.push({ tagName, prefix, localName, prefixAtom: this.atom(prefix ?? "") });
    this.nameIndex.set(tagName, index);
    this.nameLengths.push(tagName.length);
    this.nameSourceStarts.push(start);
    this.remember(index, tagName, start);
    return index;
  }

  private remember(index: number, tagName: string, start: number): void {
    this.recentNames[nameHash(tagName.charCodeAt(0), tagName.charCodeAt(tagName.length - 1), tagName.length)] = index;
    this.nameSourceStarts[index] = start;
  }

  set(index: number, field: number, value: number): void {
    this.pages[index >> PAGE_SHIFT]![(index & PAGE_MASK) * STRIDE + field] = value;
  }

  clearFlags(index: number, bits: number): void {
    this.pages[index >> PAGE_SHIFT]![(index & PAGE_MASK) * STRIDE + F_FLAGS]! &= ~bits;
  }

  /** Adds an element record as the last child of `parent`; returns its index. */
  appendElement(parent: number, start: number, startTagEnd: number, name: number, namespace: number, attributeStart: number, attributeCount: number): number {
    return this.appendRecord(parent, ELEMENT_NODE, PLAIN_CONTENT, start, NONE, startTagEnd, name, namespace, attributeStart, attributeCount);
  }

  /** Adds a text, CDATA or comment record (data from `start` to `end`, or decoded in slot `decodedSlot` unless NONE) as the last child of `parent`. */
  appendCharacterData(parent: number, kind: number, start: number, end: number, decodedSlot: number): void {
    const decoded = decodedSlot !== NONE;
    this.appendRecord(parent, kind, decoded ? DECODED : 0, start, end, 0, decoded ? decodedSlot : 0, 0, 0, 0);
  }

  /**
   * Adds a record as the last child of `parent`, every field written one by
   * one (a pooled page holds an earlier request's records; `fill` would be a
   * builtin call per node); returns its index.
   */
  private appendRecord(parent: number, kind: number, flags: number, start: number, end: number, startTagEnd: number, name: number, namespace: number, attributeStart: number, attributeCount: number): number {
    const index = this.newRecord(parent);
    const page = this.pages[index >> PAGE_SHIFT]!;
    const base = (index & PAGE_MASK) * STRIDE;
    page[base + F_KIND] = kind;
    page[base + F_FLAGS] = flags;
    page[base + F_PARENT] = parent;
    page[base + F_FIRST_CHILD] = NONE;
    page[base + F_LAST_CHILD] = NONE;
    page[base + F_NEXT] = NONE;
    page[base + F_CONTENT_NAMESPACE] = 0;
    page[base + F_START] = start;
    page[base + F_END] = end;
    page[base + F_START_TAG_END] = startTagEnd;
    page[base + F_END_TAG_START] = NONE;
    page[base + F_NAME] = name;
    page[base + F_NAMESPACE] = namespace;
    page[base + F_ATTRIBUTE_START] = attributeStart;
    page[base + F_ATTRIBUTE_COUNT] = attributeCount;
    page[base + F_CONTENT_PREFIX] = NONE;
    return index;
  }

  /**
   * Closes element `index` whose end tag spans `endTagStart` to `end` and
   * whose name has `nameLength` characters: records the offsets and whether
   * its tags are plain (see TreeElement.plainTags). Returns its parent.
   */
  closeElement(index: number, endTagStart: number, end: number, nameLength: number): number {
    const page = this.pages[index >> PAGE_SHIFT]!;
    const base = (index & PAGE_MASK) * STRIDE;
    page[base + F_END] = end;
    page[base + F_END_TAG_START] = endTagStart;
    if (page[base + F_ATTRIBUTE_COUNT] === 0 && page[base + F_START_TAG_END]! - page[base + F_START]! === nameLength + 2 && end - endTagStart === nameLength + 3) {
      page[base + F_FLAGS]! |= PLAIN_TAGS;
    }
    return page[base + F_PARENT]!;
  }

  /** A new record's index, linked as the last child of `parent` (its fields are the caller's to write). */
  private newRecord(parent: number): number {
    const index = this.count++;
    const base = (index & PAGE_MASK) * STRIDE;
    if (base === 0) this.pages.push(fullPage());
    const parentPage = this.pages[parent >> PAGE_SHIFT]!;
    const parentBase = (parent & PAGE_MASK) * STRIDE;
    const last = parentPage[parentBase + F_LAST_CHILD]!;
    if (last === NONE) parentPage[parentBase + F_FIRST_CHILD] = index;
    else this.pages[last >> PAGE_SHIFT]![(last & PAGE_MASK) * STRIDE + F_NEXT] = index;
    parentPage[parentBase + F_LAST_CHILD] = index;
    return index;
  }

  private matches(index: number, namespace: string | null, localName: string): boolean {
    if (namespace !== "*") {
      const atom = this.get(index, F_NAMESPACE);
      const uri = atom === NONE ? null : this.atoms[atom]!;
      if (uri !== (namespace || null)) return false;
    }
    return localName === "*" || this.names[this.get(index, F_NAME)]!.localName === localName;
  }

  /** The node after `node` in document order within `root`'s subtree (`root` excluded), or NONE. */
  private nextInSubtree(node: number, root: number): number {
    const first = this.get(node, F_FIRST_CHILD);
    if (first !== NONE && this.get(node, F_KIND) === ELEMENT_NODE) return first;
    for (let current = node; current !== root && current > 0; current = this.get(current, F_PARENT)) {
      const next = this.get(current, F_NEXT);
      if (next !== NONE) return next;
    }
    return NONE;
  }
}

function nameHash(first: number, last: number, length: number): number {
  return (first * 31 + last * 7 + length) & RECENT_NAME_MASK;
}

/** Releases `document` when it is a tree of this module (see TreeDocument.release); other DOMs are left to the collector. */
export function releaseTree(document: unknown): void {
  if (document instanceof TreeDocument) document.release();
}

/** Whether `document` is a tree of this module (with ids collected while building). */
export function isTreeDocument(document: unknown): document is TreeDocument {
  return document instanceof TreeDocument;
}
