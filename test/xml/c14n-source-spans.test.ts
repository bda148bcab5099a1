/**
 * The canonicalizers hash parts of the request's source text as they are
 * when the parser found them already canonical (TreeElement.plainTags /
 * plainContent). That shortcut must never change a canonical byte: these
 * tests compare, for every element of generated documents as the apex and
 * for every algorithm, the canonical form taken from our tree (shortcut on)
 * with the one rendered from an @xmldom tree of the same text (no shortcut),
 * prove that the shortcut was taken, and check the source forms that look
 * canonical but are not.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DOMParser } from "@xmldom/xmldom";
import fc from "fast-check";
import { C14N_ALGORITHMS, canonicalize, canonicalizeTo, type C14nAlgorithm, type C14nElement } from "../../src/wss/c14n.js";
import { ChunkedWriter } from "../../src/wss/c14n-output.js";
import { xmlParser } from "../../src/xml/parse.js";
import { parseTree } from "../../src/xml/tree-parser.js";
import { ELEMENT_NODE, type TreeElement } from "../../src/xml/tree.js";
import { libxml2Canonical } from "../helpers/libxml2-c14n.js";
import { missingToolReason } from "../helpers/signers.js";

const LIMITS = { maxXmlDepth: 64, maxXmlElements: 10_000, maxAttributesPerElement: 64 };
const CASES: readonly { readonly algorithm: C14nAlgorithm; readonly prefixList: readonly string[] }[] = [
  { algorithm: C14N_ALGORITHMS.exclusive, prefixList: [] },
  { algorithm: C14N_ALGORITHMS.exclusive, prefixList: ["#default", "p"] },
  { algorithm: C14N_ALGORITHMS.inclusive10, prefixList: [] },
  { algorithm: C14N_ALGORITHMS.inclusive11, prefixList: [] },
];

function treeRoot(xml: string): TreeElement {
  const parsed = parseTree(xml, LIMITS);
  if (parsed.kind !== "parsed") throw new Error(`not well-formed: ${parsed.reason}`);
  return parsed.document.documentElement!;
}

function domRoot(xml: string): C14nElement {
  return new DOMParser().parseFromString(xml, "text/xml").documentElement as unknown as C14nElement;
}

function elementsOf(root: C14nElement): C14nElement[] {
  const found: C14nElement[] = [];
  const visit = (element: C14nElement) => {
    found.push(element);
    for (let child = element.firstChild; child; child = child.nextSibling) if (child.nodeType === ELEMENT_NODE) visit(child as C14nElement);
  };
  visit(root);
  return found;
}

function canonical(element: C14nElement, algorithm: C14nAlgorithm, prefixList: readonly string[]): string {
  const result = canonicalize(element, algorithm, prefixList);
  if (result.kind !== "canonical") throw new Error(result.reason);
  return result.text;
}

/** Counts the source spans written while `run` runs. */
function countingSourceSpans<T>(run: () => T): { result: T; spans: number } {
  const original = ChunkedWriter.prototype.writeSource;
  let spans = 0;
  ChunkedWriter.prototype.writeSource = function (this: ChunkedWriter, ...args: Parameters<typeof original>) {
    spans++;
    return original.apply(this, args);
  };
  try {
    return { result: run(), spans };
  } finally {
    ChunkedWriter.prototype.writeSource = original;
  }
}

/** Asserts that every element of `xml`, under every algorithm, canonicalizes the same from our tree and from @xmldom's. Returns the source spans used. */
function assertSameAsRendered(xml: string): number {
  const ours = elementsOf(treeRoot(xml));
  const theirs = elementsOf(domRoot(xml));
  assert.equal(ours.length, theirs.length);
  let spans = 0;
  for (let i = 0; i < ours.length; i++) {
    for (const { algorithm, prefixList } of CASES) {
      const counted = countingSourceSpans(() => canonical(ours[i]!, algorithm, prefixList));
      spans += counted.spans;
      assert.equal(counted.result, canonical(theirs[i]!, algorithm, prefixList), `element ${i} of ${xml} under ${algorithm} ${prefixList.join(" ")}`);
    }
  }
  return spans;
}

// Documents that are mostly plain (the common machine-written shape), with every near-miss mixed in.
const NAMES = ["a", "b", "p:a", "p:b", "q:c"];
const TEXTS = ["x", " ", "\n  ", "&amp;", "&lt;", "&gt;", '"', "'", "é", "𝄞", "\t"];
const NEAR_MISS_TEXTS = [">", "&quot;", "&apos;", "&#65;", "&#x41;", "&#38;", "\r\n", "\r", "<![CDATA[c]]>", "<!--note-->"];

type Plain = { readonly name: string; readonly open: string; readonly close: string; readonly children: readonly (Plain | string)[] };

const { node: nodeArbitrary } = fc.letrec<{ node: Plain | string; element: Plain }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 5, depthIdentifier: "plain" },
    { weight: 3, arbitrary: fc.constantFrom(...TEXTS) },
    { weight: 1, arbitrary: fc.constantFrom(...NEAR_MISS_TEXTS) },
    { weight: 4, arbitrary: tie("element") },
  ),
  element: fc.record({
    name: fc.constantFrom(...NAMES),
    // Mostly `<name>`; sometimes white space in a tag, an attribute, a declaration, or an empty-element tag.
    open: fc.constantFrom("", "", "", "", "", " ", ' x="1"', ' xmlns:p="urn:p"', ' xmlns:p="urn:other"', ' xmlns="urn:d"', ' xmlns=""', "/"),
    close: fc.constantFrom("", "", "", "", " "),
    children: fc.array(tie("node"), { maxLength: 4 }),
  }),
}));

function serialize(node: Plain | string): string {
  if (typeof node === "string") return node;
  if (node.open === "/") return `<${node.name}/>`;
  return `<${node.name}${node.open}>${node.children.map(serialize).join("")}</${node.name}${node.close}>`;
}

const documentArbitrary = fc
  .tuple(fc.array(nodeArbitrary, { maxLength: 4 }), fc.constantFrom("", ' xmlns="urn:d"', ' xmlns="urn:d" x="1"'))
  .map(([children, rootDeclarations]) => `<r xmlns:p="urn:p" xmlns:q="urn:q"${rootDeclarations}><p:s>${children.map(serialize).join("")}</p:s></r>`);

test("source spans: for every element and algorithm, the canonical form from our tree equals the one rendered without the shortcut", () => {
  let spans = 0;
  let documents = 0;
  fc.assert(
    fc.property(documentArbitrary, (xml) => {
      spans += assertSameAsRendered(xml);
      documents++;
    }),
    { numRuns: 400 },
  );
  // The property is about the shortcut: it must have been taken, and often.
  assert.ok(spans > documents, `only ${spans} source spans in ${documents} documents`);
});

test("source spans: the bench's insertMultiple shape (records of plain fields, &amp; and quotes in text) is one span per record run", () => {
  const records = Array.from({ length: 50 }, (_, i) => `<record><number>INC${i}</number><short_description>Printer &amp; scanner "east" &lt;3&gt;</short_description><active>true</active></record>`).join("");
  const xml = `<soapenv:Envelope xmlns:soapenv="urn:env" xmlns:inc="urn:inc"><soapenv:Body Id="b"><inc:insertMultiple>${records}</inc:insertMultiple></soapenv:Body></soapenv:Envelope>`;
  const body = treeRoot(xml).firstChild as TreeElement;
  const counted = countingSourceSpans(() => canonical(body, C14N_ALGORITHMS.exclusive, []));
  assert.equal(counted.spans, 1, "the records are hashed from the source in one span");
  assert.equal(counted.result, canonical(domRoot(xml).firstChild as C14nElement, C14N_ALGORITHMS.exclusive, []));
});

test("source spans: forms that look canonical but are not are rendered", () => {
  const cases: readonly [string, string][] = [
    ["<r><s><a/></s></r>", "<s><a></a></s>"],
    ["<r><s><a >t</a></s></r>", "<s><a>t</a></s>"],
    ["<r><s><a>t</a ></s></r>", "<s><a>t</a></s>"],
    ["<r><s>a&quot;b&apos;c&#65;&#x42;&#38;</s></r>", "<s>a\"b'cAB&amp;</s>"],
    ["<r><s>a>b</s></r>", "<s>a&gt;b</s>"],
    ["<r><s>a\r\nb\rc</s></r>", "<s>a\nb\nc</s>"],
    ["<r><s><![CDATA[<x>]]></s></r>", "<s>&lt;x&gt;</s>"],
    ["<r><s>a<!--c-->b</s></r>", "<s>ab</s>"],
  ];
  for (const [xml, expected] of cases) {
    const element = treeRoot(xml).firstChild as TreeElement;
    assert.equal(canonical(element, C14N_ALGORITHMS.exclusive, []), expected, xml);
    assert.equal(element.plainContent, false, `${xml}: content is not canonical in the source`);
  }
});

test("source spans, exclusive c14n: a prefix its output ancestors did not render is declared on the first element that uses it", () => {
  const xml = '<r xmlns:p="urn:p" xmlns="urn:d"><s><p:a><p:b>t</p:b></p:a></s><p:s><x/></p:s></r>';
  const [s, ps] = [treeRoot(xml).firstChild as TreeElement, treeRoot(xml).lastChild as TreeElement];
  assert.equal(canonical(s, C14N_ALGORITHMS.exclusive, []), '<s xmlns="urn:d"><p:a xmlns:p="urn:p"><p:b>t</p:b></p:a></s>');
  assert.equal(canonical(ps, C14N_ALGORITHMS.exclusive, []), '<p:s xmlns:p="urn:p"><x xmlns="urn:d"></x></p:s>');
  assert.equal(canonical(s, C14N_ALGORITHMS.inclusive10, []), '<s xmlns="urn:d" xmlns:p="urn:p"><p:a><p:b>t</p:b></p:a></s>');
});

test("source spans: libxml2 agrees on documents hashed from the source", { skip: missingToolReason("xmlsec1") }, () => {
  const documents = [
    '<r xmlns:p="urn:p"><p:s Id="t"><p:a>x &amp; y "q" \'a\' é 𝄞</p:a>\n  <p:b><p:c>1</p:c></p:b></p:s></r>',
    '<r xmlns="urn:d" xmlns:p="urn:p"><s Id="t"><a>1</a><b><c>&lt;&gt;</c></b></s></r>',
    '<r xmlns:p="urn:p"><p:s Id="t"><a>plain, no namespace</a></p:s></r>',
  ];
  for (const xml of documents) {
    const target = elementsOf(treeRoot(xml)).find((element) => element.attributes.length > 0 && (element as TreeElement).getAttribute("Id") === "t")!;
    const expected = libxml2Canonical(xml, "t", target.localName!);
    const counted = countingSourceSpans(() => [canonical(target, C14N_ALGORITHMS.inclusive10, []), canonical(target, C14N_ALGORITHMS.inclusive11, []), canonical(target, C14N_ALGORITHMS.exclusive, [])]);
    assert.ok(counted.spans >= 3, `the shortcut was taken for ${xml}`);
    assert.deepEqual(counted.result, [expected.inclusive10, expected.inclusive11, expected.exclusive], xml);
  }
});

test("source spans: an all-ASCII request's canonical parts are handed over as its own bytes, with the same digest input", () => {
  const records = Array.from({ length: 20 }, (_, i) => `<record><n>${i}</n><d>a &amp; b</d></record>`).join("");
  const xml = `<e:Envelope xmlns:e="urn:env"><e:Body Id="b"><op xmlns="urn:op">${records}</op></e:Body></e:Envelope>`;
  for (const [source, ascii] of [[xml, true], [xml.replace("a &amp; b", "é &amp; b"), false]] as const) {
    const parsed = xmlParser.parse(Buffer.from(source, "utf8"), LIMITS);
    assert.equal(parsed.kind, "parsed");
    if (parsed.kind !== "parsed") return;
    assert.equal(parsed.document.asciiSource !== undefined, ascii);
    const body = parsed.document.documentElement!.firstChild as TreeElement;
    const pieces: Buffer[] = [];
    let byteChunks = 0;
    const result = canonicalizeTo(body, C14N_ALGORITHMS.exclusive, [], {
      write: (chunk) => pieces.push(Buffer.from(chunk, "utf8")),
      writeBytes: (chunk) => {
        byteChunks++;
        pieces.push(Buffer.from(chunk));
      },
    });
    assert.equal(result.kind, "written");
    assert.equal(byteChunks > 0, ascii);
    assert.equal(Buffer.concat(pieces).toString("utf8"), canonical(domRoot(source).firstChild as C14nElement, C14N_ALGORITHMS.exclusive, []));
  }
});
