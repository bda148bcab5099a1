/**
 * fast-check documents for the canonicalization tests: elements with
 * prefixes, namespace declarations (default, undeclared with xmlns="",
 * redeclared), attributes in several namespaces, xml:lang / xml:space /
 * xml:base / xml:id, text with references, CR, tabs and non-ASCII, CDATA
 * and comments. Every prefix used is bound, one attribute per local name,
 * xml:id values unique, so each document is namespace-well-formed. One
 * element below the document element carries Id="c14n-target".
 */
import fc from "fast-check";

export const TARGET = "c14n-target";


type GeneratedNode =
  | { readonly kind: "element"; readonly prefix: string; readonly local: string; readonly declarations: readonly (readonly [string, string])[]; readonly attributes: readonly GeneratedAttribute[]; readonly children: readonly GeneratedNode[] }
  | { readonly kind: "text" | "cdata" | "comment"; readonly text: string };

interface GeneratedAttribute {
  readonly prefix: string;
  readonly local: string;
  readonly value: string;
}

const PREFIXES = ["", "p", "q", "ns1"];
const URIS = ["urn:x", "urn:y", "http://example.com/z", ""];
const TEXT_PIECES = ["a", " ", "&amp;", "&lt;", ">", "&#13;", "&#xD;", "\r\n", "\r", "\t", "\n", '"', "'", "é", "𝄞", "]]&gt;", "&#9;", "&#x10FFFF;"];
const ATTRIBUTE_PIECES = ["v", " ", "&amp;", "&lt;", ">", "&quot;", "'", "&#9;", "&#10;", "&#13;", "\t", "\n", "\r\n", "é"];
const CDATA_PIECES = ["x", "<", "&", ">", "]]", "\r\n", "&amp;", " "];
const XML_ATTRIBUTES = [
  { local: "lang", values: ["en", "fr-CA", ""] },
  { local: "space", values: ["preserve", "default"] },
  { local: "base", values: ["http://example.com/a/", "b/c", ""] },
  { local: "id", values: ["(unique)"] },
];

const textOf = (pieces: string[]) => fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(""));

const attributeArbitrary: fc.Arbitrary<GeneratedAttribute> = fc.oneof(
  fc.record({ prefix: fc.constantFrom("", "", "p", "q", "ns1"), local: fc.constantFrom("a", "b", "c", "z"), value: textOf(ATTRIBUTE_PIECES) }),
  fc.constantFrom(...XML_ATTRIBUTES).chain((xml) => fc.constantFrom(...xml.values).map((value) => ({ prefix: "xml", local: xml.local, value }))),
);

const { element: elementArbitrary } = fc.letrec<{ node: GeneratedNode; element: GeneratedNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthIdentifier: "tree" },
    { weight: 3, arbitrary: textOf(TEXT_PIECES).map((text) => ({ kind: "text" as const, text })) },
    { weight: 3, arbitrary: tie("element") },
    { weight: 1, arbitrary: textOf(CDATA_PIECES).map((text) => ({ kind: "cdata" as const, text })) },
    { weight: 1, arbitrary: fc.constantFrom("c", " note ", "").map((text) => ({ kind: "comment" as const, text })) },
  ),
  element: fc.record({
    kind: fc.constant("element" as const),
    prefix: fc.constantFrom(...PREFIXES),
    local: fc.constantFrom("e", "f", "t"),
    declarations: fc.array(fc.tuple(fc.constantFrom(...PREFIXES), fc.constantFrom(...URIS)), { maxLength: 3 }),
    attributes: fc.array(attributeArbitrary, { maxLength: 4 }),
    children: fc.array(tie("node"), { maxLength: 4 }),
  }),
}));

/** Serializes a generated tree as well-formed XML: binds every prefix it uses, one attribute per local name, unique xml:id values. */
function serialize(root: GeneratedNode, targetIndex: number): { xml: string; localName: string } {
  let elementIndex = -1;
  let ids = 0;
  let targetLocal = "";
  const write = (node: GeneratedNode, scope: ReadonlyMap<string, string>): string => {
    if (node.kind !== "element") {
      if (node.kind === "text") return node.text.replace(/</g, "&lt;");
      return node.kind === "cdata" ? `<![CDATA[${node.text.replace(/]]>/g, "]]]]><![CDATA[>")}]]>` : `<!--${node.text}-->`;
    }
    elementIndex++;
    const declarations = new Map<string, string>();
    for (const [prefix, uri] of node.declarations) if (!declarations.has(prefix) && (prefix === "" || uri !== "")) declarations.set(prefix, uri);
    const inScope = new Map(scope);
    for (const [prefix, uri] of declarations) inScope.set(prefix, uri);
    const bind = (prefix: string) => {
      if (prefix !== "" && prefix !== "xml" && !inScope.has(prefix)) {
        declarations.set(prefix, "urn:bound");
        inScope.set(prefix, "urn:bound");
      }
    };
    bind(node.prefix);
    const seenLocals = new Set<string>();
    const attributes: string[] = [];
    if (elementIndex === targetIndex) {
      attributes.push(`Id="${TARGET}"`);
      targetLocal = node.local;
    }
    for (const attribute of node.attributes) {
      if (seenLocals.has(attribute.local)) continue;
      seenLocals.add(attribute.local);
      bind(attribute.prefix);
      const value = attribute.value === "(unique)" ? `id${ids++}` : attribute.value;
      attributes.push(`${attribute.prefix ? `${attribute.prefix}:` : ""}${attribute.local}="${value.replace(/</g, "&lt;").replace(/"/g, "&quot;")}"`);
    }
    const name = node.prefix ? `${node.prefix}:${node.local}` : node.local;
    const declared = [...declarations].map(([prefix, uri]) => (prefix === "" ? `xmlns="${uri}"` : `xmlns:${prefix}="${uri}"`));
    const children = node.children.map((child) => write(child, inScope)).join("");
    return `<${[name, ...declared, ...attributes].join(" ")}>${children}</${name}>`;
  };
  const xml = write(root, new Map());
  return { xml, localName: targetLocal };
}

/** A document element with at least one element below it, and the document-order index (≥ 1) of the target. */
export const documentArbitrary = fc
  .tuple(elementArbitrary, elementArbitrary, fc.nat())
  .map(([root, forced, pick]) => {
    const element = root as Extract<GeneratedNode, { kind: "element" }>;
    const withChild = { ...element, children: [...element.children, forced] };
    const count = countElements(withChild);
    return serialize(withChild, 1 + (pick % (count - 1)));
  });

function countElements(node: GeneratedNode): number {
  return node.kind === "element" ? 1 + node.children.reduce((sum, child) => sum + countElements(child), 0) : 0;
}

