/**
 * The request's XML parser: one pass over the decoded text that checks
 * well-formedness and namespace well-formedness and builds the compact tree
 * of `tree.ts` as it goes. Scanning is by table lookups over the text's
 * code units (a reused typed array, see `code-units.ts`), with no regular
 * expression on the way.
 *
 * What it enforces (XML 1.0 fifth edition, Namespaces in XML 1.0):
 * - one root element, tags matched, nothing but white space and comments
 *   outside it; an XML declaration only at the very start (version 1.0);
 * - no DOCTYPE and no entity declaration; no processing instruction (SOAP
 *   forbids them); references only to the five predefined entities and to
 *   characters XML allows; `]]>` never in text; `--` never in a comment;
 * - only characters XML allows, raw or referenced; names by the XML grammar;
 * - line ends normalized (CR LF and CR become LF) everywhere, and attribute
 *   values normalized (tab, LF, CR become a space; referenced characters kept);
 * - namespaces: every prefix declared, `xml`/`xmlns` bindings as reserved,
 *   no `xmlns:p=""`, QNames with at most one colon, attributes unique by
 *   qualified name and by namespace + local name;
 * - the limits of `XmlLimits` (depth, element count, attributes per
 *   element, namespace declarations included) while building.
 * It also records every id-typed attribute (`wsu:Id`, unqualified
 * `Id`/`ID`/`id`) on the document, in document order.
 */
import type { XmlLimits } from "./limits-scan.js";
import * as classes from "./char-classes.js";
import { NS } from "./ns.js";
import * as tree from "./tree.js";
import type { TreeAttribute as Attribute, TreeDocument as Document, TreeElement as Element } from "./tree.js";
import * as characters from "./xml-characters.js";
import * as uris from "./uri.js";
import { codeUnitsOf } from "./code-units.js";
import { SourceText } from "./source-text.js";

// Module-local copies of the imported tables and constants: read on every character,
// and a cross-module binding is a getter call per read when run through tsx.
const TEXT_CLASS = classes.TEXT_CLASS;
const ATTRIBUTE_CLASS = classes.ATTRIBUTE_CLASS;
const DATA_CLASS = classes.DATA_CLASS;
const NAME_CLASS = classes.NAME_CLASS;
const { ILLEGAL, CR, LT, AMP, BRACKET, GT, HIGH_SURROGATE, WS, QUOTE, NAME_START, NAME_CHAR, COLON, NAME_HIGH_SURROGATE, isXmlWhitespace } = classes;
const { TEXT_NODE, CDATA_SECTION_NODE, COMMENT_NODE, TreeAttribute, TreeDocument, NONE, PLAIN_TAGS, PLAIN_CONTENT } = tree;
const { F_FLAGS, F_END, F_NAME, F_NAMESPACE, F_CONTENT_PREFIX, F_CONTENT_NAMESPACE } = tree;
const isXmlChar = characters.isXmlChar;
const namespaceNameKind = uris.namespaceNameKind;
const XML_NS = NS.xml;
const XMLNS_NS = NS.xmlns;
const WSU_NS = NS.wsu;

export type TreeParseResult = { readonly kind: "parsed"; readonly document: Document } | { readonly kind: "refused"; readonly reason: string };

/** Thrown inside the parser only; carries the reason. No stack trace is captured. */
class NotWellFormed {
  constructor(readonly reason: string) {}
}

const C_LT = 0x3c;
const C_GT = 0x3e;
const C_SLASH = 0x2f;
const C_BANG = 0x21;
const C_QUESTION = 0x3f;
const C_EQUALS = 0x3d;
const C_AMP = 0x26;
const C_HASH = 0x23;
const C_SEMICOLON = 0x3b;
const C_X = 0x78;
const C_QUOT = 0x22;
const C_APOS = 0x27;
const BOM = 0xfeff;

const UNQUALIFIED_ID_NAMES = new Set(["Id", "ID", "id"]);

/** Parses `text` (already decoded) into a tree, or says why it is not acceptable XML. */
export function parseTree(text: string | SourceText, limits: XmlLimits, asciiBytes?: Uint8Array): TreeParseResult {
  const source = typeof text === "string" ? SourceText.of(text) : text;
  try {
    return { kind: "parsed", document: new TreeBuilder(source, codeUnitsOf(source, asciiBytes), limits).run() };
  } catch (error) {
    if (error instanceof NotWellFormed) return { kind: "refused", reason: error.reason };
    throw error;
  }
}

class TreeBuilder {
  private readonly document: Document;
  private readonly length: number;
  /** The record of the element being filled (0, the document, outside the root). */
  private parent = 0;
  private depth = 0;
  private elements = 0;
  /** In-scope namespace bindings, innermost last ("" is the default namespace): the prefix and the atom of its URI (NONE where `xmlns=""` undeclares it). */
  private readonly nsPrefixes: string[] = [];
  private readonly nsAtoms: number[] = [];
  /** The number of bindings in scope (the arrays are reused, never shortened). */
  private nsTop = 0;
  /** nsPrefixes.length before each open element's declarations, by depth. */
  private readonly nsMarks: number[] = [];
  /** Where each open element's name starts in the source, and its length, by depth (the end tag is compared with it). */
  private readonly openNameStarts: number[] = [];
  private readonly openNameLengths: number[] = [];
  /** The raw attributes of the start tag being read. */
  private readonly rawNames: string[] = [];
  private readonly rawValues: string[] = [];

  constructor(
    private readonly text: SourceText,
    /** `text`'s code units (then zeros, see code-units.ts): what the character loops read. */
    private readonly src: Uint16Array,
    private readonly limits: XmlLimits,
  ) {
    this.document = new TreeDocument(text);
    this.length = text.length;
  }

  run(): Document {
    const text = this.text;
    let pos = text.charCodeAt(0) === BOM ? 1 : 0;
    if (text.startsWith("<?xml", pos) && isXmlWhitespace(text.charCodeAt(pos + 5))) pos = this.xmlDeclaration(pos);
    pos = this.misc(pos, false);
    pos = this.rootElement(pos);
    this.misc(pos, true);
    this.document.elementCount = this.elements;
    return this.document;
  }

  /** `<?xml version="1.0" (encoding="…")? (standalone="yes|no")? ?>` at the start. Returns the position after it. */
  private xmlDeclaration(from: number): number {
    const text = this.text;
    const end = text.indexOf("?>", from);
    if (end < 0) fail("unterminated processing instruction");
    let pos = from + 5;
    const pseudo: string[] = [];
    for (;;) {
      const spaced = pos;
      pos = this.skipWhitespace(pos);
      if (pos >= end) break;
      if (pos === spaced) fail("malformed XML declaration");
      const nameStart = pos;
      while (pos < end && isAsciiLetter(text.charCodeAt(pos))) pos++;
      const name = text.slice(nameStart, pos);
      pos = this.skipWhitespace(pos);
      if (text.charCodeAt(pos) !== C_EQUALS) fail("malformed XML declaration");
      pos = this.skipWhitespace(pos + 1);
      const quote = text.charCodeAt(pos);
      if (quote !== C_QUOT && quote !== C_APOS) fail("malformed XML declaration");
      const close = text.indexOf(String.fromCharCode(quote), pos + 1);
      if (close < 0 || close > end) fail("malformed XML declaration");
      const value = text.slice(pos + 1, close);
      pos = close + 1;
      const expected = pseudo.length === 0 ? ["version"] : pseudo.includes("encoding") || pseudo.includes("standalone") ? ["standalone"] : ["encoding", "standalone"];
      if (!expected.includes(name) || pseudo.includes(name)) fail("malformed XML declaration");
      if (name === "version" && value !== "1.0") fail(`unsupported XML version ${value.slice(0, 10)}`);
      if (name === "encoding" && !/^[A-Za-z][A-Za-z0-9._-]*$/.test(value)) fail("malformed XML declaration");
      if (name === "standalone" && value !== "yes" && value !== "no") fail("malformed XML declaration");
      pseudo.push(name);
    }
    if (pseudo.length === 0) fail("malformed XML declaration");
    return end + 2;
  }

  /** White space and comments outside the root element. Returns the position of the root's `<` (before it) or the end (after it). */
  private misc(from: number, afterRoot: boolean): number {
    const text = this.text;
    let pos = from;
    for (;;) {
      pos = this.skipWhitespace(pos);
      if (pos >= this.length) {
        if (!afterRoot) fail("missing root element");
        return pos;
      }
      if (text.charCodeAt(pos) !== C_LT) {
        if (afterRoot) fail("Extra content at the end of the document");
        fail(text.indexOf("<", pos) < 0 ? "missing root element" : "Unexpected content outside root element");
      }
      const next = text.charCodeAt(pos + 1);
      if (next === C_BANG) {
        if (text.startsWith("<!--", pos)) pos = this.comment(pos);
        else if (text.startsWith("<![CDATA[", pos)) fail("CDATA section outside the root element");
        else fail("DOCTYPE or entity declaration");
      } else if (next === C_QUESTION) {
        this.processingInstruction(pos);
      } else if (afterRoot) {
        fail(next === C_SLASH ? "end tag without a start tag" : "Error constructing the DOM: HierarchyRequestError: Only one element can be added and only after doctype");
      } else {
        if (next === C_SLASH) fail("end tag without a start tag");
        return pos;
      }
    }
  }

  /** Refuses a processing instruction at `pos` (SOAP forbids them; the XML declaration is only at the start). */
  private processingInstruction(pos: number): never {
    const text = this.text;
    if (text.indexOf("?>", pos + 2) < 0) fail("unterminated processing instruction");
    if (text.startsWith("<?xml", pos) && isXmlWhitespace(text.charCodeAt(pos + 5))) {
      fail(`processing instruction at position ${pos} is an xml declaration which is only at the start of the document`);
    }
    fail("processing instruction (SOAP forbids them)");
  }

  /** The root element and everything in it. Returns the position after its end. */
  private rootElement(from: number): number {
    const text = this.text;
    const src = this.src;
    let pos = this.startTag(from);
    while (this.depth > 0) {
      if (pos >= this.length) fail(`unclosed element ${this.tagNameOf(this.parent).slice(0, 64)}`);
      if (src[pos] !== C_LT) {
        pos = this.characterData(pos);
        continue;
      }
      const next = src[pos + 1];
      if (next === C_SLASH) pos = this.endTag(pos);
      else if (next === C_BANG) {
        if (text.startsWith("<!--", pos)) pos = this.comment(pos);
        else if (text.startsWith("<![CDATA[", pos)) pos = this.cdata(pos);
        else fail("DOCTYPE or entity declaration");
      } else if (next === C_QUESTION) this.processingInstruction(pos);
      else pos = this.startTag(pos);
    }
    return pos;
  }

  /** A start tag (or empty-element tag) at `from`: builds the element. Returns the position after `>`. */
  private startTag(from: number): number {
    const text = this.text;
    const src = this.src;
    const nameStart = from + 1;
    const nameEnd = this.name(nameStart, "malformed start tag");
    if (++this.elements > this.limits.maxXmlElements) fail(`more than ${this.limits.maxXmlElements} elements`);

    const rawNames = this.rawNames;
    const rawValues = this.rawValues;
    let count = 0;
    let pos = nameEnd;
    let selfClosing = false;
    for (;;) {
      const spaced = pos;
      pos = this.skipWhitespace(pos);
      const c = src[pos];
      if (c === C_GT) {
        pos++;
        break;
      }
      if (c === C_SLASH) {
        if (src[pos + 1] !== C_GT) fail("malformed start tag");
        pos += 2;
        selfClosing = true;
        break;
      }
      if (pos >= this.length) fail("unterminated start tag");
      if (c === C_LT) fail("malformed start tag");
      if (pos === spaced) fail(`attribute space is required before ${quoteName(text, pos)}`);
      const attributeNameEnd = this.name(pos, "malformed attribute name");
      const name = text.slice(pos, attributeNameEnd);
      pos = this.skipWhitespace(attributeNameEnd);
      if (src[pos] !== C_EQUALS) fail(`attribute "${name.slice(0, 64)}" missed value`);
      pos = this.skipWhitespace(pos + 1);
      const quote = src[pos]!;
      if (quote !== C_QUOT && quote !== C_APOS) fail(`attribute "${unquotedValue(text, pos)}" missed quot(")!`);
      if (++count > this.limits.maxAttributesPerElement) fail(`more than ${this.limits.maxAttributesPerElement} attributes on one element`);
      for (let k = 0; k < count - 1; k++) if (rawNames[k] === name) fail(`Attribute ${name.slice(0, 64)} redefined`);
      pos = this.attributeValue(pos + 1, quote, count - 1);
      rawNames[count - 1] = name;
    }

    const mark = this.nsTop;
    for (let k = 0; k < count; k++) {
      const name = rawNames[k]!;
      if (name.charCodeAt(0) === 0x78 && name.startsWith("xmlns") && (name.length === 5 || name.charCodeAt(5) === 0x3a)) {
        this.declareNamespace(name.length === 5 ? "" : name.slice(6), rawValues[k]!);
      }
    }
    const document = this.document;
    let nameIndex = document.recentName(src, nameStart, nameEnd);
    if (nameIndex === undefined) {
      const tagName = text.slice(nameStart, nameEnd);
      nameIndex = document.nameOf(tagName, nameStart) ?? internElementName(document, tagName, nameStart);
    }
    const qualifiedName = document.names[nameIndex]!;
    let namespaceAtom: number;
    if (qualifiedName.prefix !== null) {
      namespaceAtom = this.lookupAtom(qualifiedName.prefix);
      if (namespaceAtom === NONE) fail("Error constructing the DOM: NamespaceError: prefix is non-null and namespace is null");
    } else {
      namespaceAtom = this.lookupAtom("");
    }

    const attributes = document.attributeList;
    const first = attributes.length;
    const index = document.appendElement(this.parent, from, pos, nameIndex, namespaceAtom, first, count);
    if (count > 0) {
      for (let k = 0; k < count; k++) {
        const attribute = this.attribute(rawNames[k]!, rawValues[k]!);
        if (attribute.namespaceURI !== null) {
          for (let j = first; j < first + k; j++) {
            const other = attributes[j]!;
            if (other.namespaceURI === attribute.namespaceURI && other.localName === attribute.localName) {
              fail(`Attribute ${attribute.name.slice(0, 64)} redefined (same namespace and local name as ${other.name.slice(0, 64)})`);
            }
          }
        }
        attributes.push(attribute);
        if (attribute.namespaceURI === null ? UNQUALIFIED_ID_NAMES.has(attribute.localName) : attribute.namespaceURI === WSU_NS && attribute.localName === "Id") {
          document.ids.push({ value: attribute.value, element: document.nodeAt(index) as Element });
        }
      }
    }
    if (this.depth === 0) document.rootIndex = index;

    if (selfClosing) {
      document.set(index, F_END, pos);
      // Canonical XML writes `<a></a>`: the parent's source content is not canonical.
      if (this.depth > 0) document.clearFlags(this.parent, PLAIN_CONTENT);
      this.nsTop = mark;
    } else {
      if (++this.depth > this.limits.maxXmlDepth) fail(`nesting deeper than ${this.limits.maxXmlDepth}`);
      this.nsMarks[this.depth] = mark;
      this.openNameStarts[this.depth] = nameStart;
      this.openNameLengths[this.depth] = nameEnd - nameStart;
      this.parent = index;
    }
    return pos;
  }

  private declareNamespace(prefix: string, uri: string): void {
    if (prefix === "") {
      if (uri === XML_NS || uri === XMLNS_NS) fail(`the default namespace cannot be ${uri}`);
    } else {
      if (prefix.indexOf(":") >= 0) fail(`malformed namespace prefix ${prefix.slice(0, 64)}`);
      if (prefix === "xmlns") fail("the prefix xmlns cannot be declared");
      if (prefix === "xml") {
        if (uri !== XML_NS) fail("the prefix xml cannot be bound to another namespace");
        return;
      }
      if (uri === XML_NS || uri === XMLNS_NS) fail(`the prefix ${prefix.slice(0, 64)} cannot be bound to ${uri}`);
      if (uri === "") fail(`xmlns:${prefix.slice(0, 64)}="" is not allowed in XML 1.0 namespaces`);
    }
    const kind = namespaceNameKind(uri);
    if (kind === "invalid") fail(`namespace name ${JSON.stringify(uri.slice(0, 64))} is not a URI reference`);
    if (kind === "relative" && uri !== "") fail(`namespace name ${JSON.stringify(uri.slice(0, 64))} is a relative URI (canonical XML refuses them)`);
    this.nsPrefixes[this.nsTop] = prefix;
    this.nsAtoms[this.nsTop] = uri === "" ? NONE : this.document.atom(uri);
    this.nsTop++;
  }

  /** The atom of the namespace URI bound to `prefix` ("" = default), or NONE when unbound. */
  private lookupAtom(prefix: string): number {
    if (prefix === "xml") return this.document.atom(XML_NS);
    const prefixes = this.nsPrefixes;
    for (let i = this.nsTop - 1; i >= 0; i--) if (prefixes[i] === prefix) return this.nsAtoms[i]!;
    return NONE;
  }

  /** The namespace URI bound to `prefix` ("" = default), or null when unbound. */
  private lookup(prefix: string): string | null {
    const atom = this.lookupAtom(prefix);
    return atom === NONE ? null : this.document.atoms[atom]!;
  }

  private attribute(name: string, value: string): Attribute {
    if (name === "xmlns") return new TreeAttribute(name, null, "xmlns", XMLNS_NS, value);
    const colon = name.indexOf(":");
    if (colon < 0) return new TreeAttribute(name, null, name, null, value);
    const prefix = name.slice(0, colon);
    const localName = name.slice(colon + 1);
    checkQName(prefix, localName, name);
    if (prefix === "xmlns") return new TreeAttribute(name, prefix, localName, XMLNS_NS, value);
    const namespaceURI = this.lookup(prefix);
    if (namespaceURI === null) fail(`Error constructing the DOM: NamespaceError: prefix ${prefix.slice(0, 64)} of attribute ${name.slice(0, 64)} is not declared`);
    return new TreeAttribute(name, prefix, localName, namespaceURI, value);
  }

  /** An attribute value from just after its opening quote; stores it in rawValues[index]. Returns the position after the closing quote. */
  private attributeValue(from: number, quote: number, index: number): number {
    const text = this.text;
    const src = this.src;
    const length = this.length;
    let pos = from;
    let segment = from;
    let value = "";
    for (;;) {
      const c = src[pos]!;
      const kind = ATTRIBUTE_CLASS[c]!;
      if (kind === 0) {
        pos++;
        continue;
      }
      if (pos >= length) fail("unterminated attribute value"); // past the end: U+0000, whose class is not 0
      if (kind === QUOTE) {
        if (c === quote) break;
        pos++;
      } else if (kind === WS || kind === CR) {
        value += text.slice(segment, pos) + " ";
        pos += kind === CR && src[pos + 1] === 0x0a ? 2 : 1;
        segment = pos;
      } else if (kind === AMP) {
        value += text.slice(segment, pos);
        pos = this.reference(pos);
        value += this.referenced;
        segment = pos;
      } else if (kind === LT) fail("'<' inside an attribute value");
      else pos = this.checkCharacter(pos, kind);
    }
    this.rawValues[index] = segment === from ? text.slice(from, pos) : value + text.slice(segment, pos);
    return pos + 1;
  }

  /** Text from `from` up to the next `<`: one text node. Returns the position of the `<`. */
  private characterData(from: number): number {
    const text = this.text;
    const src = this.src;
    const length = this.length;
    let pos = from;
    let segment = from;
    let value = "";
    /** Whether the source of this text is its canonical form (see TreeElement.plainContent). */
    let canonical = true;
    for (;;) {
      // Past the end comes U+0000, whose class is not 0: the end is checked off the common path.
      const kind = TEXT_CLASS[src[pos]!]!;
      if (kind === 0) {
        pos++;
        continue;
      }
      if (kind === LT || pos >= length) break;
      if (kind === AMP) {
        value += text.slice(segment, pos);
        // `&amp;`, `&lt;`, `&gt;` are canonical as written; `&quot;`, `&apos;` and character references are not.
        if (src[pos + 1] === C_HASH) canonical = false;
        pos = this.reference(pos);
        value += this.referenced;
        if (!isCanonicalReference(this.referenced)) canonical = false;
        segment = pos;
      } else if (kind === CR) {
        canonical = false;
        value += text.slice(segment, pos) + "\n";
        pos += src[pos + 1] === 0x0a ? 2 : 1;
        segment = pos;
      } else if (kind === GT) {
        canonical = false;
        pos++;
      } else if (kind === BRACKET) {
        if (src[pos + 1] === 0x5d && src[pos + 2] === C_GT) fail("']]>' is not allowed in text");
        pos++;
      } else pos = this.checkCharacter(pos, kind);
    }
    this.characterDataNode(TEXT_NODE, from, pos, segment === from ? undefined : value + text.slice(segment, pos));
    if (!canonical) this.document.clearFlags(this.parent, PLAIN_CONTENT);
    return pos;
  }

  /** The character a reference at `from` (`&…;`) stands for is left in `referenced`. Returns the position after `;`. */
  private referenced = "";
  private reference(from: number): number {
    const text = this.text;
    const src = this.src;
    if (src[from + 1] === C_HASH) {
      const hex = src[from + 2] === C_X;
      const digitsStart = from + (hex ? 3 : 2);
      let pos = digitsStart;
      let codePoint = 0;
      for (;;) {
        const digit = digitValue(src[pos]!, hex);
        if (digit < 0) break;
        codePoint = Math.min(codePoint * (hex ? 16 : 10) + digit, 0x110000);
        pos++;
      }
      if (pos === digitsStart || src[pos] !== C_SEMICOLON) {
        fail(`entity not matching Reference production: ${text.slice(from, Math.min(pos + 1, from + 24))}`);
      }
      if (!isXmlChar(codePoint)) fail(`character reference ${text.slice(from, Math.min(pos + 1, from + 16))} is not an XML character`);
      this.referenced = String.fromCodePoint(codePoint);
      return pos + 1;
    }
    const predefinedEnd = this.predefinedReference(from);
    if (predefinedEnd > 0) return predefinedEnd;
    // Not one of the five predefined entities: refused, with the reason the name gives.
    const nameEnd = this.name(from + 1, "EntityRef: expecting ;");
    if (text.charCodeAt(nameEnd) !== C_SEMICOLON) fail("EntityRef: expecting ;");
    fail(`entity not found:&${text.slice(from + 1, nameEnd).slice(0, 64)};`);
  }

  /**
   * A predefined entity reference at `from` (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
   * `&apos;`), read without cutting its name: leaves its character in
   * `referenced` and returns the position after `;`, or returns -1.
   */
  private predefinedReference(from: number): number {
    const src = this.src;
    const c1 = src[from + 1];
    const c2 = src[from + 2];
    const c3 = src[from + 3];
    if (c2 === 0x74 /* t */ && c3 === C_SEMICOLON) {
      if (c1 === 0x6c /* l */) this.referenced = "<";
      else if (c1 === 0x67 /* g */) this.referenced = ">";
      else return -1;
      return from + 4;
    }
    const c4 = src[from + 4];
    if (c1 === 0x61 /* a */ && c2 === 0x6d /* m */ && c3 === 0x70 /* p */ && c4 === C_SEMICOLON) {
      this.referenced = "&";
      return from + 5;
    }
    if (src[from + 5] !== C_SEMICOLON) return -1;
    if (c1 === 0x71 /* q */ && c2 === 0x75 /* u */ && c3 === 0x6f /* o */ && c4 === 0x74 /* t */) this.referenced = '"';
    else if (c1 === 0x61 /* a */ && c2 === 0x70 /* p */ && c3 === 0x6f /* o */ && c4 === 0x73 /* s */) this.referenced = "'";
    else return -1;
    return from + 6;
  }

  /** An end tag at `from`: closes the open element. Returns the position after `>`. */
  private endTag(from: number): number {
    const text = this.text;
    const src = this.src;
    const element = this.parent;
    const openNameStart = this.openNameStarts[this.depth]!;
    const nameLength = this.openNameLengths[this.depth]!;
    const nameStart = from + 2;
    let pos = nameStart + nameLength;
    // Compared with the start tag's name in the source, character by character: no string is cut or looked up.
    // The bound keeps the comparison inside the text (the zeros after it are only a few units long).
    let same = 0;
    if (pos <= this.length) while (same < nameLength && src[nameStart + same] === src[openNameStart + same]) same++;
    if (same < nameLength || (pos < this.length && NAME_CLASS[src[pos]!] !== 0)) {
      const name = this.tagNameOf(element);
      const end = this.nameEndForMessage(nameStart);
      fail(`Opening and ending tag mismatch: "${name.slice(0, 64)}" != "${text.slice(nameStart, end).slice(0, 64)}"`);
    }
    pos = this.skipWhitespace(pos);
    if (src[pos] !== C_GT) fail(pos >= this.length ? "unterminated end tag" : `malformed end tag ${this.tagNameOf(element).slice(0, 64)}`);
    const document = this.document;
    this.parent = document.closeElement(element, from, pos + 1, nameLength);
    this.nsTop = this.nsMarks[this.depth]!;
    this.depth--;
    if (this.depth > 0) noteClosedChild(this.document, this.parent, element);
    return pos + 1;
  }

  /** A comment at `from` (`<!--`). Returns the position after `-->`. */
  private comment(from: number): number {
    const text = this.text;
    const dashes = text.indexOf("--", from + 4);
    if (dashes < 0) fail("unterminated comment");
    if (text.charCodeAt(dashes + 2) !== C_GT) fail(`comment is not well-formed at position ${from}`);
    this.characterDataNode(COMMENT_NODE, from + 4, dashes, this.data(from + 4, dashes));
    if (this.depth > 0) this.document.clearFlags(this.parent, PLAIN_CONTENT);
    return dashes + 3;
  }

  /** A CDATA section at `from` (`<![CDATA[`). Returns the position after `]]>`. */
  private cdata(from: number): number {
    const end = this.text.indexOf("]]>", from + 9);
    if (end < 0) fail("unterminated CDATA section");
    this.characterDataNode(CDATA_SECTION_NODE, from + 9, end, this.data(from + 9, end));
    this.document.clearFlags(this.parent, PLAIN_CONTENT);
    return end + 3;
  }

  /** Adds a text, CDATA or comment node whose data is the source from `from` to `to`, or `decoded` when given. */
  private characterDataNode(kind: number, from: number, to: number, decoded: string | undefined): void {
    const document = this.document;
    if (decoded === undefined) document.appendCharacterData(this.parent, kind, from, to, NONE);
    else {
      document.appendCharacterData(this.parent, kind, from, to, document.decodedData.length);
      document.decodedData.push(decoded);
    }
  }

  /** The element name of record `index`. */
  private tagNameOf(index: number): string {
    return this.document.names[this.document.get(index, F_NAME)]!.tagName;
  }

  /** Comment or CDATA content between `from` and `to`: characters checked; the data with line ends normalized when there was a CR, else undefined (the source is the data). */
  private data(from: number, to: number): string | undefined {
    const text = this.text;
    const src = this.src;
    let pos = from;
    let segment = from;
    let value = "";
    while (pos < to) {
      const kind = DATA_CLASS[src[pos]!]!;
      if (kind === 0) pos++;
      else if (kind === CR) {
        value += text.slice(segment, pos) + "\n";
        pos += src[pos + 1] === 0x0a && pos + 1 < to ? 2 : 1;
        segment = pos;
      } else pos = this.checkCharacter(pos, kind);
    }
    return segment === from ? undefined : value + text.slice(segment, to);
  }

  /** A unit of class ILLEGAL or HIGH_SURROGATE at `pos`: refuses it, or steps over a valid surrogate pair. */
  private checkCharacter(pos: number, kind: number): number {
    const src = this.src;
    const c = src[pos]!;
    if (kind === HIGH_SURROGATE) {
      const low = src[pos + 1]!;
      if (low >= 0xdc00 && low <= 0xdfff) return pos + 2;
    }
    if (kind === ILLEGAL || kind === HIGH_SURROGATE) fail(`character U+${c.toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML`);
    return pos + 1;
  }

  /** A Name at `from`; returns its end. */
  private name(from: number, problem: string): number {
    const src = this.src;
    let pos = from;
    const first = NAME_CLASS[src[pos]!]!;
    if (first === NAME_START || first === COLON) pos++;
    else if (first === NAME_HIGH_SURROGATE && isLowSurrogate(src[pos + 1]!)) pos += 2;
    else fail(problem);
    for (;;) {
      const kind = NAME_CLASS[src[pos]!]!;
      if (kind === NAME_START || kind === NAME_CHAR || kind === COLON) pos++;
      else if (kind === NAME_HIGH_SURROGATE && isLowSurrogate(src[pos + 1]!)) pos += 2;
      else return pos;
    }
  }

  private nameEndForMessage(from: number): number {
    let pos = from;
    while (pos < this.length && NAME_CLASS[this.text.charCodeAt(pos)] !== 0) pos++;
    return pos;
  }

  private skipWhitespace(from: number): number {
    const src = this.src;
    let pos = from;
    for (;;) {
      const c = src[pos];
      if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) pos++;
      else return pos;
    }
  }
}

/**
 * Records on element `parent` what its child `element`, just closed, means
 * for the canonical form of the parent's content (see TreeElement.plainContent).
 */
function noteClosedChild(document: Document, parent: number, element: number): void {
  if ((document.get(parent, F_FLAGS) & PLAIN_CONTENT) === 0) return;
  if ((document.get(element, F_FLAGS) & (PLAIN_TAGS | PLAIN_CONTENT)) !== (PLAIN_TAGS | PLAIN_CONTENT)) {
    document.clearFlags(parent, PLAIN_CONTENT);
    return;
  }
  const namespaceAtom = document.get(element, F_NAMESPACE);
  mergeContentNamespace(document, parent, document.names[document.get(element, F_NAME)]!.prefixAtom, namespaceAtom === NONE ? document.emptyAtom : namespaceAtom);
  const contentPrefix = document.get(element, F_CONTENT_PREFIX);
  if (contentPrefix !== NONE) mergeContentNamespace(document, parent, contentPrefix, document.get(element, F_CONTENT_NAMESPACE));
}

function mergeContentNamespace(document: Document, parent: number, prefixAtom: number, namespaceAtom: number): void {
  const current = document.get(parent, F_CONTENT_PREFIX);
  if (current === NONE) {
    document.set(parent, F_CONTENT_PREFIX, prefixAtom);
    document.set(parent, F_CONTENT_NAMESPACE, namespaceAtom);
  } else if (current !== prefixAtom || document.get(parent, F_CONTENT_NAMESPACE) !== namespaceAtom) {
    document.clearFlags(parent, PLAIN_CONTENT);
  }
}

/** Interns the element name `tagName`, checking it as a QName once per document. */
function internElementName(document: Document, tagName: string, start: number): number {
  const colon = tagName.indexOf(":");
  if (colon < 0) return document.internName(tagName, null, tagName, start);
  const prefix = tagName.slice(0, colon);
  const localName = tagName.slice(colon + 1);
  checkQName(prefix, localName, tagName);
  if (prefix === "xmlns") fail(`element ${tagName.slice(0, 64)} uses the reserved prefix xmlns`);
  return document.internName(tagName, prefix, localName, start);
}

/** Whether the reference to `character` is also its canonical form in text (`&amp;`, `&lt;`, `&gt;`). */
function isCanonicalReference(character: string): boolean {
  return character === "&" || character === "<" || character === ">";
}

function fail(reason: string): never {
  throw new NotWellFormed(reason);
}

/** Namespaces in XML: a QName is NCName ':' NCName (one colon, neither part empty). */
function checkQName(prefix: string, localName: string, name: string): void {
  const start = NAME_CLASS[localName.charCodeAt(0)];
  if (prefix === "" || (start !== NAME_START && start !== NAME_HIGH_SURROGATE) || localName.indexOf(":") >= 0) fail(`${name.slice(0, 64)} is not a valid qualified name`);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function digitValue(c: number, hex: boolean): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (!hex) return -1;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function quoteName(text: SourceText, pos: number): string {
  return JSON.stringify(text.slice(pos, pos + 32));
}

/** The unquoted token at `pos` (for the message), up to white space, `>` or `/`. */
function unquotedValue(text: SourceText, pos: number): string {
  let end = pos;
  while (end < text.length && end - pos < 64) {
    const c = text.charCodeAt(end);
    if (isXmlWhitespace(c) || c === C_GT || c === C_SLASH) break;
    end++;
  }
  return text.slice(pos, end);
}
