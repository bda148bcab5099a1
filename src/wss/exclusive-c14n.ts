/**
 * Exclusive XML Canonicalization 1.0 (without comments) of an element of
 * the parsed DOM, as the apex of a document subset: one linear walk that
 * writes the canonical form in chunks, so a large Body is digested without
 * building one huge string. Spec: https://www.w3.org/TR/xml-exc-c14n/
 *
 * - An element renders the namespace bindings it visibly utilizes (its own
 *   prefix, its attributes' prefixes, the default namespace when it is
 *   unprefixed) plus, for prefixes in the InclusiveNamespaces PrefixList
 *   ("#default" for the default namespace), the bindings in scope, each only
 *   when the nearest output ancestor did not already render that value.
 * - Namespace declarations sorted by prefix (default first), attributes by
 *   namespace URI then local name, both by UTF-16 code unit as the spec asks.
 * - Comments are dropped; text and CDATA are escaped; a processing
 *   instruction (never part of a SOAP message) is refused.
 *
 * The DOM is only read, never modified.
 */
import {
  CDATA_SECTION_NODE,
  ChunkedWriter,
  COMMENT_NODE,
  compareAttributes,
  compareCodeUnits,
  ELEMENT_NODE,
  escapeAttribute,
  escapeText,
  refusedNode,
  sourceSpans,
  TEXT_NODE,
  textOf,
  type C14nAttribute,
  type C14nElement,
  type C14nNode,
  type CanonicalSink,
  type InheritedNamespace,
} from "./c14n-output.js";
import type { TreeElement } from "../xml/tree.js";

/** Namespace bindings rendered by the output ancestors: prefix → URI ("" is the default namespace). */
type RenderedScope = ReadonlyMap<string, string>;

/**
 * Writes the exclusive canonical form of `apex` to `sink`. `inheritedForPrefixList`
 * are the bindings in scope at the apex from its ancestors whose prefix is in
 * the PrefixList (prefix "" with "#default"). Throws NotCanonicalizable.
 */
export function writeExclusiveCanonical(
  apex: C14nElement,
  prefixList: readonly string[],
  inheritedForPrefixList: readonly InheritedNamespace[],
  sink: CanonicalSink,
): void {
  const writer = new ExclusiveWriter(sink, prefixList, inheritedForPrefixList);
  writer.element(apex, new Map([["", ""]]), true);
  writer.flush();
}

class ExclusiveWriter extends ChunkedWriter {
  private readonly inclusivePrefixes: ReadonlySet<string>;
  private readonly inclusiveDefault: boolean;

  constructor(
    sink: CanonicalSink,
    prefixList: readonly string[],
    private readonly inheritedAtApex: readonly InheritedNamespace[],
  ) {
    super(sink);
    this.inclusivePrefixes = new Set(prefixList.filter((prefix) => prefix !== "#default"));
    this.inclusiveDefault = prefixList.includes("#default");
  }

  element(element: C14nElement, rendered: RenderedScope, isApex: boolean): void {
    const name = element.tagName;
    // Most elements carry no namespace declaration, no qualified attribute and no new binding: nothing to declare.
    const scope = !isApex && hasOnlyUnqualifiedAttributes(element) && rendersNothingNew(element, rendered) ? rendered : undefined;
    const source = sourceSpans(element);
    if (source && scope && source.plainTags && contentIsCanonical(source, scope)) {
      this.writeSource(source, source.start, source.end);
      return;
    }
    if (scope) this.write(plainStartTag(element));
    const childScope = scope ?? this.startTag(element, rendered, isApex);
    if (source && source.endTagStart >= 0 && contentIsCanonical(source, childScope)) {
      this.writeSource(source, source.startTagEnd, source.endTagStart);
      this.write(`</${name}>`);
      return;
    }
    for (let child: C14nNode | null = element.firstChild; child; child = child.nextSibling) {
      switch (child.nodeType) {
        case ELEMENT_NODE:
          this.element(child as C14nElement, childScope, false);
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
    this.write(`</${name}>`);
  }

  /** Writes the start tag with its namespace declarations and attributes; returns the scope for the children. */
  private startTag(element: C14nElement, rendered: RenderedScope, isApex: boolean): RenderedScope {
    const attributes: C14nAttribute[] = [];
    /** Bindings this element must render (besides the default namespace), by prefix. */
    const wanted = new Map<string, string>();
    let ownDefault: string | undefined;
    const list = element.attributes;
    for (let i = 0; i < list.length; i++) {
      const attribute = list[i]!;
      if (attribute.name === "xmlns") {
        ownDefault = attribute.value;
      } else if (attribute.prefix === "xmlns") {
        const prefix = attribute.localName ?? "";
        if (this.inclusivePrefixes.has(prefix)) wanted.set(prefix, attribute.value);
      } else {
        attributes.push(attribute);
      }
    }
    if (isApex) {
      for (const inherited of this.inheritedAtApex) {
        if (inherited.prefix === "") ownDefault ??= inherited.namespaceURI;
        else if (!wanted.has(inherited.prefix)) wanted.set(inherited.prefix, inherited.namespaceURI);
      }
    }
    // Visibly utilized: the element's prefix and its attributes' prefixes (xml: is never declared).
    if (element.prefix && element.prefix !== "xml") wanted.set(element.prefix, element.namespaceURI ?? "");
    for (const attribute of attributes) {
      if (attribute.prefix && attribute.prefix !== "xml") wanted.set(attribute.prefix, attribute.namespaceURI ?? "");
    }

    let defaultValue: string | undefined;
    if (!element.prefix) defaultValue = element.namespaceURI ?? "";
    else if (this.inclusiveDefault && ownDefault !== undefined) defaultValue = ownDefault;

    let scope = rendered;
    let declarations = "";
    if (defaultValue !== undefined && rendered.get("") !== defaultValue) {
      declarations += ` xmlns="${escapeAttribute(defaultValue)}"`;
      scope = new Map(scope).set("", defaultValue);
    }
    const prefixes = [...wanted.keys()].filter((prefix) => rendered.get(prefix) !== wanted.get(prefix)).sort(compareCodeUnits);
    if (prefixes.length > 0) {
      const next = new Map(scope);
      for (const prefix of prefixes) {
        const uri = wanted.get(prefix)!;
        declarations += ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
        next.set(prefix, uri);
      }
      scope = next;
    }

    this.write(startTagText(element.tagName, declarations, attributes));
    return scope;
  }
}

/**
 * Whether the source between the tags of `element` is its exclusive canonical
 * form under `scope` (the bindings rendered once its start tag is written):
 * plain content whose elements all use one binding that is already rendered.
 */
function contentIsCanonical(element: TreeElement, scope: RenderedScope): boolean {
  return element.plainContent && (element.contentPrefix === null || scope.get(element.contentPrefix) === element.contentNamespace);
}

/** Whether every attribute of `element` is unqualified (so none is a namespace declaration, and none needs a binding). */
function hasOnlyUnqualifiedAttributes(element: C14nElement): boolean {
  const list = element.attributes;
  for (let i = 0; i < list.length; i++) if (list[i]!.namespaceURI !== null) return false;
  return true;
}

/** The start tag of an element with only unqualified attributes that renders no declaration. */
function plainStartTag(element: C14nElement): string {
  const list = element.attributes;
  if (list.length === 0) return `<${element.tagName}>`;
  const attributes: C14nAttribute[] = [];
  for (let i = 0; i < list.length; i++) attributes.push(list[i]!);
  return startTagText(element.tagName, "", attributes);
}

/** `<name declarations attributes>`, the attributes sorted in canonical order (`attributes` is sorted in place). */
function startTagText(tagName: string, declarations: string, attributes: C14nAttribute[]): string {
  let text = `<${tagName}${declarations}`;
  if (attributes.length > 1) attributes.sort(compareAttributes);
  for (const attribute of attributes) text += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`;
  return `${text}>`;
}

/** Whether an element without declarations needs no binding its output ancestors have not rendered. */
function rendersNothingNew(element: C14nElement, rendered: RenderedScope): boolean {
  const prefix = element.prefix;
  if (!prefix) return rendered.get("") === (element.namespaceURI ?? "");
  return prefix === "xml" || rendered.get(prefix) === (element.namespaceURI ?? "");
}
