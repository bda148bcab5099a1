/**
 * The compact, read-only tree of one parsed request (built by `parser.ts`).
 *
 * The node types expose the small subset of the W3C DOM the gateway reads,
 * under the DOM's property names (`nodeType`, `parentNode`, `firstChild`,
 * `nextSibling`, `localName`, `namespaceURI`, `attributes`, ...), so the
 * same code reads this tree and, in tests or the signer, an @xmldom/xmldom
 * one: the interfaces `Node`, `Element`, `Document`, `Attr` below are
 * satisfied by both. Nothing here can modify a tree.
 *
 * Each element records where it sits in the decoded text (`start` at its
 * `<`, `end` just after its end tag or `/>`), so canonical bytes can be
 * taken from the source when they are already canonical.
 */

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

const NO_ATTRIBUTES_LENGTH = 0;

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
  length = NO_ATTRIBUTES_LENGTH;

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
  readonly nodeType: typeof ELEMENT_NODE;
  parentNode: ParentNode | null;
  previousSibling: ChildNode | null;
  nextSibling: ChildNode | null;
  firstChild: ChildNode | null;
  lastChild: ChildNode | null;
  /** Offset just after the end tag's `>` (or the `/>`), set when the element closes. */
  end: number;
  /** Offset of the end tag's `<` (-1 for an empty-element tag), set when the element closes. */
  endTagStart: number;
  /**
   * Whether the element's tags are already in canonical form in the source:
   * no attributes (hence no namespace declaration), written exactly as
   * `<name>` and `</name>` (not as `<name/>`, no white space). Set when it closes.
   */
  plainTags: boolean;
  /**
   * Whether everything between the tags is already canonical in the source
   * (`c14n-source.ts`): only plain-tagged elements whose descendants all use
   * one prefix bound to one namespace (`contentPrefix`, `contentNamespace`),
   * and text without a CR, a raw `>` or a reference other than `&amp;`,
   * `&lt;`, `&gt;`; no comment, CDATA section or empty-element tag.
   */
  plainContent: boolean;
  /** The prefix ("" for none) of every element inside, or null when there is none; meaningful when `plainContent`. */
  contentPrefix: string | null;
  /** The namespace ("" for none) those elements are in. */
  contentNamespace: string;

  constructor(
    readonly ownerDocument: TreeDocument,
    readonly tagName: string,
    readonly prefix: string | null,
    readonly localName: string,
    readonly namespaceURI: string | null,
    readonly attributes: TreeAttributeList,
    /** Offset of the `<` of the start tag in the decoded text. */
    readonly start: number,
    /** Offset just after the start tag's `>`. */
    readonly startTagEnd: number,
  ) {
    this.nodeType = ELEMENT_NODE;
    this.parentNode = null;
    this.previousSibling = null;
    this.nextSibling = null;
    this.firstChild = null;
    this.lastChild = null;
    this.end = -1;
    this.endTagStart = -1;
    this.plainTags = false;
    this.plainContent = true;
    this.contentPrefix = null;
    this.contentNamespace = "";
  }

  get nodeName(): string {
    return this.tagName;
  }

  get nodeValue(): null {
    return null;
  }

  /** The children as an array (for DOM consumers that index `childNodes`). */
  get childNodes(): ChildNode[] {
    const children: ChildNode[] = [];
    for (let child = this.firstChild; child; child = child.nextSibling) children.push(child);
    return children;
  }

  /** The concatenated text and CDATA of the descendants (as DOM's `textContent`). */
  get textContent(): string {
    let text = "";
    for (let node: ChildNode | null = this.firstChild; node; node = nextInSubtree(node, this)) {
      if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) text += node.data;
    }
    return text;
  }

  /** The descendant elements with this namespace and local name ("*" matches any), in document order. */
  getElementsByTagNameNS(namespace: string | null, localName: string): TreeElement[] {
    return elementsByName(this, namespace, localName);
  }

  getAttribute(qualifiedName: string): string | null {
    const attributes = this.attributes;
    for (let i = 0; i < attributes.length; i++) if (attributes[i]!.name === qualifiedName) return attributes[i]!.value;
    return null;
  }

  hasAttribute(qualifiedName: string): boolean {
    return this.getAttribute(qualifiedName) !== null;
  }

  getAttributeNS(namespace: string | null, localName: string): string | null {
    const wanted = namespace === "" ? null : namespace;
    const attributes = this.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
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
  parentNode: ParentNode | null;
  previousSibling: ChildNode | null;
  nextSibling: ChildNode | null;
  readonly firstChild: null;
  readonly lastChild: null;

  constructor(
    readonly ownerDocument: TreeDocument,
    readonly nodeType: typeof TEXT_NODE | typeof CDATA_SECTION_NODE | typeof COMMENT_NODE,
    /** The character data after line-end normalization and reference expansion. */
    readonly data: string,
    /** Offset of the first source character of the node. */
    readonly start: number,
  ) {
    this.parentNode = null;
    this.previousSibling = null;
    this.nextSibling = null;
    this.firstChild = null;
    this.lastChild = null;
  }

  get nodeName(): string {
    return CHARACTER_DATA_NAMES[this.nodeType]!;
  }

  get nodeValue(): string {
    return this.data;
  }

  get textContent(): string {
    return this.data;
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
  firstChild: ChildNode | null = null;
  lastChild: ChildNode | null = null;
  documentElement: TreeElement | null = null;
  /** Every id-typed attribute, in document order (filled while building). */
  readonly ids: IdAttribute[] = [];
  /** The number of elements. */
  elementCount = 0;

  /**
   * The request's bytes when they are all ASCII, so that offsets into `text`
   * are offsets into them too (canonical parts are then hashed from the bytes).
   */
  asciiSource: Uint8Array | undefined = undefined;

  /** `text` is the decoded source the offsets of the nodes refer to. */
  constructor(readonly text: string) {}

  /** The elements with this namespace and local name ("*" matches any), in document order. */
  getElementsByTagNameNS(namespace: string | null, localName: string): TreeElement[] {
    const root = this.documentElement;
    if (!root) return [];
    const found = matches(root, namespace, localName) ? [root] : [];
    return found.concat(elementsByName(root, namespace, localName));
  }

  appendChild(): never {
    return readOnly();
  }

  removeChild(): never {
    return readOnly();
  }
}

/** The node after `node` in document order within `root`'s subtree (`root` excluded), or null. */
function nextInSubtree(node: ChildNode, root: TreeElement): ChildNode | null {
  if (node.firstChild) return node.firstChild;
  for (let current: ChildNode | ParentNode | null = node; current && current !== root; current = current.parentNode) {
    if (current.nextSibling) return current.nextSibling;
  }
  return null;
}

function matches(element: TreeElement, namespace: string | null, localName: string): boolean {
  return (namespace === "*" || element.namespaceURI === (namespace || null)) && (localName === "*" || element.localName === localName);
}

function elementsByName(root: TreeElement, namespace: string | null, localName: string): TreeElement[] {
  const found: TreeElement[] = [];
  for (let node: ChildNode | null = root.firstChild; node; node = nextInSubtree(node, root)) {
    if (node.nodeType === ELEMENT_NODE && matches(node, namespace, localName)) found.push(node);
  }
  return found;
}

/** Appends `child` as the last child of `parent` (for the builder only). */
export function appendChildNode(parent: ParentNode, child: ChildNode): void {
  child.parentNode = parent;
  const last = parent.lastChild;
  if (last) {
    last.nextSibling = child;
    child.previousSibling = last;
  } else parent.firstChild = child;
  parent.lastChild = child;
}

/** Whether `document` is a tree of this module (with ids collected while building). */
export function isTreeDocument(document: unknown): document is TreeDocument {
  return document instanceof TreeDocument;
}
