/**
 * Canonical XML 1.0 and 1.1 (without comments) of an element of the parsed
 * tree as the apex of a document subset — the element and its whole
 * subtree, as a same-document `#id` Reference selects it. One linear walk
 * that writes the canonical form in chunks.
 * Specs: https://www.w3.org/TR/xml-c14n and https://www.w3.org/TR/xml-c14n11
 *
 * - Namespace axis: the apex renders every binding in scope (its own and
 *   its ancestors'), except the `xml` prefix and an empty default
 *   namespace; below it an element renders a declaration only when the
 *   value differs from the one its output parent rendered (a redeclaration
 *   to the same URI is superfluous; `xmlns=""` appears only where a
 *   non-empty default namespace is undeclared). Sorted by prefix, default
 *   first.
 * - xml:* attributes of the apex's ancestors (nearest wins, the apex's own
 *   win over them) are rendered on the apex: in 1.0 all of them; in 1.1
 *   only xml:lang and xml:space (xml:id and other xml:* attributes are not
 *   inherited). Under 1.1, xml:base needs the "xml:base fixup" (joining
 *   URI references; libxml2 also drops an empty xml:base inside the
 *   element): we refuse any xml:base on the element, inside it or on its
 *   ancestors instead of approximating it, so no 1.1 verifier can
 *   disagree with us about it.
 * - Attributes sorted by namespace URI then local name; text, CDATA and
 *   attribute values escaped (c14n-output.ts); comments dropped.
 * - A processing instruction (or any other node type) inside the element is
 *   refused: rendering a PI's data as text is how a signed value was once
 *   changed without changing its digest.
 *
 * Cost is linear: the rendered namespace scope is one map updated in place
 * with an undo list per element, never copied per child. The tree is only
 * read, never modified.
 */
import {
  CDATA_SECTION_NODE,
  ChunkedWriter,
  COMMENT_NODE,
  compareAttributes,
  compareCodeUnits,
  declaredPrefix,
  ELEMENT_NODE,
  escapeAttribute,
  escapeText,
  NotCanonicalizable,
  refusedNode,
  sourceSpans,
  TEXT_NODE,
  textOf,
  XML_NAMESPACE,
  type C14nAttribute,
  type C14nElement,
  type C14nNode,
  type CanonicalSink,
  type InheritedNamespace,
} from "./c14n-output.js";

export type InclusiveVersion = "1.0" | "1.1";

/**
 * Writes the inclusive canonical form of `apex` to `sink`. `inheritedNamespaces`
 * are the non-empty bindings in scope at the apex declared on its ancestors
 * (nearest per prefix, none the apex declares itself). Throws NotCanonicalizable.
 */
export function writeInclusiveCanonical(
  apex: C14nElement,
  version: InclusiveVersion,
  inheritedNamespaces: readonly InheritedNamespace[],
  sink: CanonicalSink,
): void {
  const writer = new InclusiveWriter(sink, version, inheritedNamespaces, inheritedXmlAttributes(apex, version));
  writer.element(apex, true);
  writer.flush();
}

/** The xml:* attributes of the apex's ancestors that the apex inherits under `version`. */
function inheritedXmlAttributes(apex: C14nElement, version: InclusiveVersion): C14nAttribute[] {
  const seen = new Set<string>();
  const list = apex.attributes;
  for (let i = 0; i < list.length; i++) if (list[i]!.namespaceURI === XML_NAMESPACE) seen.add(list[i]!.localName ?? "");
  const found: C14nAttribute[] = [];
  for (let ancestor = apex.parentNode; ancestor && ancestor.nodeType === ELEMENT_NODE; ancestor = ancestor.parentNode) {
    const attributes = (ancestor as C14nElement).attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      if (attribute.namespaceURI !== XML_NAMESPACE) continue;
      const name = attribute.localName ?? "";
      if (version === "1.1") {
        if (name === "base") throw XML_BASE_UNDER_1_1();
        if (name !== "lang" && name !== "space") continue;
      }
      if (seen.has(name)) continue;
      seen.add(name);
      found.push(attribute);
    }
  }
  return found;
}

const XML_BASE_UNDER_1_1 = () => new NotCanonicalizable("xml:base under inclusive c14n 1.1 (the xml:base fixup is not supported)");

class InclusiveWriter extends ChunkedWriter {
  /** The namespace bindings rendered by the output ancestors of the element being written ("" is the default namespace). */
  private readonly rendered = new Map<string, string>([["", ""]]);

  constructor(
    sink: CanonicalSink,
    private readonly version: InclusiveVersion,
    private readonly inheritedAtApex: readonly InheritedNamespace[],
    private readonly xmlAttributesAtApex: readonly C14nAttribute[],
  ) {
    super(sink);
  }

  element(element: C14nElement, isApex: boolean): void {
    const name = element.tagName;
    // Below the apex, an element without attributes renders no declaration: its plain source is canonical.
    const source = sourceSpans(element);
    if (source && !isApex && source.plainTags && source.plainContent) {
      this.writeSource(source, source.start, source.end);
      return;
    }
    // Most elements carry no attributes, hence nothing to declare or sort.
    const undo = !isApex && element.attributes.length === 0 ? undefined : this.startTag(element, isApex);
    if (!undo) this.write(`<${name}>`);
    if (source && source.endTagStart >= 0 && source.plainContent) this.writeSource(source, source.startTagEnd, source.endTagStart);
    else this.children(element);
    this.write(`</${name}>`);
    // Restore the bindings of the output parent, latest change first.
    if (undo) for (let i = undo.length - 2; i >= 0; i -= 2) this.rendered.set(undo[i]!, undo[i + 1]!);
  }

  private children(element: C14nElement): void {
    for (let child: C14nNode | null = element.firstChild; child; child = child.nextSibling) {
      switch (child.nodeType) {
        case ELEMENT_NODE:
          this.element(child as C14nElement, false);
          break;
        case TEXT_NODE:
        case CDATA_SECTION_NODE:
          this.write(escapeText(textOf(child)));
          break;
        case COMMENT_NODE:
          break;
        default:
          throw refusedNode(child);
      }
    }
  }

  /** Writes the start tag; returns the undo list [prefix, previous value, ...] of the bindings it rendered. */
  private startTag(element: C14nElement, isApex: boolean): string[] {
    const attributes: C14nAttribute[] = [];
    const declarations: InheritedNamespace[] = [];
    const list = element.attributes;
    for (let i = 0; i < list.length; i++) {
      const attribute = list[i]!;
      const prefix = declaredPrefix(attribute);
      if (prefix === undefined) {
        if (this.version === "1.1" && attribute.localName === "base" && attribute.namespaceURI === XML_NAMESPACE) throw XML_BASE_UNDER_1_1();
        attributes.push(attribute);
      } else if (prefix !== "xml" && this.rendered.get(prefix) !== attribute.value) {
        // The apex has no output parent: an undeclared default namespace has nothing to undeclare there.
        if (!(isApex && prefix === "" && attribute.value === "")) declarations.push({ prefix, namespaceURI: attribute.value });
      }
    }
    if (isApex) {
      for (const inherited of this.inheritedAtApex) if (inherited.prefix !== "xml") declarations.push(inherited);
      attributes.push(...this.xmlAttributesAtApex);
    }

    const undo: string[] = [];
    let text = `<${element.tagName}`;
    if (declarations.length > 1) declarations.sort((a, b) => compareCodeUnits(a.prefix, b.prefix));
    for (const { prefix, namespaceURI } of declarations) {
      text += prefix === "" ? ` xmlns="${escapeAttribute(namespaceURI)}"` : ` xmlns:${prefix}="${escapeAttribute(namespaceURI)}"`;
      undo.push(prefix, this.rendered.get(prefix) ?? "");
      this.rendered.set(prefix, namespaceURI);
    }
    if (attributes.length > 1) attributes.sort(compareAttributes);
    for (const attribute of attributes) text += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`;
    this.write(`${text}>`);
    return undo;
  }
}
