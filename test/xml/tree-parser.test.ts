/**
 * The rules of the request parser (src/xml/tree-parser.ts), one by one, with
 * the exact refusal reasons, and the tree it builds: DOM-subset properties,
 * source offsets, ids collected while building, the limits. The agreement
 * with libxml2 and @xmldom on a generated corpus is parser-differential.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { xmlParser } from "../../src/xml/parse.js";
import { parseTree } from "../../src/xml/tree-parser.js";
import type { TreeDocument, TreeElement } from "../../src/xml/tree.js";

const LIMITS = { maxXmlDepth: 8, maxXmlElements: 20, maxAttributesPerElement: 4 };
const WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

function parsed(xml: string): TreeDocument {
  const result = parseTree(xml, LIMITS);
  if (result.kind !== "parsed") throw new Error(result.reason);
  return result.document;
}

function reason(xml: string): string {
  const result = parseTree(xml, LIMITS);
  return result.kind === "refused" ? result.reason : "parsed";
}

describe("well-formedness", () => {
  const cases: [string, string, string][] = [
    ["mismatched end tag", "<a><b></c></a>", 'Opening and ending tag mismatch: "b" != "c"'],
    ["end tag that only starts like the open one", "<ab></a>", 'Opening and ending tag mismatch: "ab" != "a"'],
    ["unclosed root", "<a><b/>", "unclosed element a"],
    ["two roots", "<a/><b/>", "Error constructing the DOM: HierarchyRequestError: Only one element can be added and only after doctype"],
    ["text after the root", "<a/>x", "Extra content at the end of the document"],
    ["text before the root", "x<a/>", "Unexpected content outside root element"],
    ["no root at all", "  ", "missing root element"],
    ["DOCTYPE", "<!DOCTYPE a><a/>", "DOCTYPE or entity declaration"],
    ["DOCTYPE inside content", "<a><!DOCTYPE a></a>", "DOCTYPE or entity declaration"],
    ["processing instruction in content", "<a><?php x?></a>", "processing instruction (SOAP forbids them)"],
    ["processing instruction before the root", "<?pi?><a/>", "processing instruction (SOAP forbids them)"],
    ["XML declaration not at the start", " <?xml version='1.0'?><a/>", "processing instruction at position 1 is an xml declaration which is only at the start of the document"],
    ["XML 1.1", "<?xml version='1.1'?><a/>", "unsupported XML version 1.1"],
    ["'--' inside a comment", "<a><!-- x -- y --></a>", "comment is not well-formed at position 3"],
    ["comment ending in '-'", "<a><!-- x ---></a>", "comment is not well-formed at position 3"],
    ["']]>' in text", "<a>x]]>y</a>", "']]>' is not allowed in text"],
    ["undefined entity", "<a>&xxe;</a>", "entity not found:&xxe;"],
    ["reference without ';'", "<a>&amp</a>", "EntityRef: expecting ;"],
    ["NUL character reference", "<a>&#0;</a>", "character reference &#0; is not an XML character"],
    ["surrogate character reference", "<a>&#xD800;</a>", "character reference &#xD800; is not an XML character"],
    ["reference beyond U+10FFFF", "<a>&#x110000;</a>", "character reference &#x110000; is not an XML character"],
    ["raw control character", "<a>\u0001</a>", "character U+0001 is not allowed in XML"],
    ["raw U+FFFE", "<a>\uFFFE</a>", "character U+FFFE is not allowed in XML"],
    ["lone surrogate", "<a>\uD800x</a>", "character U+D800 is not allowed in XML"],
    ["'<' in an attribute value", '<a x="<"/>', "'<' inside an attribute value"],
    ["unquoted attribute value", "<a x=1/>", 'attribute "1" missed quot(")!'],
    ["attribute without value", "<a x/>", 'attribute "x" missed value'],
    ["attributes without space between", '<a x="1"y="2"/>', 'attribute space is required before "y=\\"2\\"/>"'],
    ["duplicate attribute", '<a x="1" x="2"/>', "Attribute x redefined"],
    ["name starting with a digit", "<1a/>", "malformed start tag"],
  ];
  for (const [name, xml, expected] of cases) test(`${name} → refused`, () => assert.equal(reason(xml), expected));
});

describe("namespace well-formedness (Namespaces in XML 1.0)", () => {
  const cases: [string, string, string][] = [
    ["undeclared element prefix", "<x:a/>", "Error constructing the DOM: NamespaceError: prefix is non-null and namespace is null"],
    ["undeclared attribute prefix", '<a x:y="1"/>', "Error constructing the DOM: NamespaceError: prefix x of attribute x:y is not declared"],
    ["prefix undeclared with xmlns:p=\"\"", '<a xmlns:p=""/>', 'xmlns:p="" is not allowed in XML 1.0 namespaces'],
    ["same attribute after namespace expansion", '<a xmlns:p="urn:x" xmlns:q="urn:x" p:y="1" q:y="2"/>', "Attribute q:y redefined (same namespace and local name as p:y)"],
    ["xml bound to another namespace", '<a xmlns:xml="urn:x"/>', "the prefix xml cannot be bound to another namespace"],
    ["another prefix bound to the xml namespace", '<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>', "the prefix p cannot be bound to http://www.w3.org/XML/1998/namespace"],
    ["xmlns declared as a prefix", '<a xmlns:xmlns="urn:x"/>', "the prefix xmlns cannot be declared"],
    ["default namespace bound to the xmlns namespace", '<a xmlns="http://www.w3.org/2000/xmlns/"/>', "the default namespace cannot be http://www.w3.org/2000/xmlns/"],
    ["element with the xmlns prefix", "<xmlns:a/>", "element xmlns:a uses the reserved prefix xmlns"],
    ["two colons in a name", '<p:a:b xmlns:p="urn:x"/>', "p:a:b is not a valid qualified name"],
    ["empty local part", '<p: xmlns:p="urn:x"/>', "p: is not a valid qualified name"],
    ["local part starting with '-'", '<p:-a xmlns:p="urn:x"/>', "p:-a is not a valid qualified name"],
    ["namespace name that is not a URI reference", '<a xmlns:p="urn:a b"/>', 'namespace name "urn:a b" is not a URI reference'],
    ["relative namespace name (canonical XML fails on it)", '<a xmlns:p="relative/path"/>', 'namespace name "relative/path" is a relative URI (canonical XML refuses them)'],
    ["relative default namespace name", '<a><b xmlns="#x"/></a>', 'namespace name "#x" is a relative URI (canonical XML refuses them)'],
  ];
  for (const [name, xml, expected] of cases) test(`${name} → refused`, () => assert.equal(reason(xml), expected));

  test("scoping: nearest declaration wins, xmlns=\"\" undeclares the default, xml: is predeclared", () => {
    const document = parsed('<a xmlns="urn:d" xmlns:p="urn:1"><p:b xmlns:p="urn:2" xml:lang="en"><c xmlns=""/></p:b><p:d/></a>');
    const a = document.documentElement!;
    const b = a.firstChild as TreeElement;
    const c = b.firstChild as TreeElement;
    const d = b.nextSibling as TreeElement;
    assert.deepEqual([a.namespaceURI, b.namespaceURI, c.namespaceURI, d.namespaceURI], ["urn:d", "urn:2", null, "urn:1"]);
    assert.deepEqual([b.prefix, b.localName, b.tagName, c.prefix], ["p", "b", "p:b", null]);
    assert.equal(b.getAttributeNS("http://www.w3.org/XML/1998/namespace", "lang"), "en");
    const declaration = a.attributes[1]!;
    assert.deepEqual([declaration.name, declaration.prefix, declaration.localName, declaration.namespaceURI, declaration.value], ["xmlns:p", "xmlns", "p", "http://www.w3.org/2000/xmlns/", "urn:1"]);
  });
});

describe("normalization (XML 1.0 §2.11, §3.3.3) and references", () => {
  test("line ends: CR LF and lone CR become LF in text, CDATA and comments; &#13; stays a CR", () => {
    const a = parsed("<a>1\r\n2\r3&#13;<![CDATA[4\r\n5]]><!--6\r7--></a>").documentElement!;
    const data = a.childNodes.map((node) => node.nodeValue);
    assert.deepEqual(data, ["1\n2\n3\r", "4\n5", "6\n7"]);
  });

  test("attribute values: tab, LF, CR, CR LF become one space each; referenced characters are kept", () => {
    const a = parsed('<a x="1\t2\n3\r4\r\n5&#9;&#10;&#13;&#x20;&lt;&amp;&quot;&apos;&gt;"/>').documentElement!;
    assert.equal(a.getAttribute("x"), "1 2 3 4 5\t\n\r <&\"'>");
  });

  test("character references: decimal, hex, leading zeros, a supplementary-plane character", () => {
    assert.equal(parsed("<a>&#65;&#x42;&#x0000000043;&#x1D11E;</a>").documentElement!.firstChild!.nodeValue, "ABC𝄞");
  });

  test("a leading byte order mark and an XML declaration are accepted", () => {
    assert.equal(parsed("\uFEFF<?xml version=\"1.0\" encoding='UTF-8' standalone=\"no\"?>\n<a/>").documentElement!.tagName, "a");
  });
});

describe("the tree", () => {
  test("offsets: each element's start (its '<'), the end of its start tag and its end, in the decoded text", () => {
    const xml = '<a><b x="1">t</b><c/></a>';
    const document = parsed(xml);
    const a = document.documentElement!;
    const b = a.firstChild as TreeElement;
    const c = b.nextSibling as TreeElement;
    assert.deepEqual([xml.slice(a.start, a.end), xml.slice(b.start, b.end), xml.slice(b.start, b.startTagEnd), xml.slice(c.start, c.end)], [xml, '<b x="1">t</b>', '<b x="1">', "<c/>"]);
  });

  test("ids: every wsu:Id and unqualified Id/ID/id, in document order, collected while building", () => {
    const document = parsed(`<a xmlns:wsu="${WSU}" Id="1"><b wsu:Id="2" ID="3"/><c id="4" xml:id="no" other:Id="no" xmlns:other="urn:o"/></a>`);
    assert.deepEqual(
      document.ids.map((id) => [id.value, id.element.tagName]),
      [["1", "a"], ["2", "b"], ["3", "b"], ["4", "c"]],
    );
  });

  test("DOM-subset navigation: parentNode, siblings, ownerDocument, nodeName, attributes.item, hasAttribute(NS)", () => {
    const document = parsed('<a><!--c--><b y="2"/>text</a>');
    const a = document.documentElement!;
    const comment = a.firstChild!;
    const b = comment.nextSibling as TreeElement;
    assert.deepEqual([comment.nodeType, comment.nodeName, b.nodeType, b.nextSibling!.nodeName, a.lastChild!.previousSibling === b], [8, "#comment", 1, "#text", true]);
    assert.equal(b.parentNode, a);
    assert.equal(a.parentNode, document);
    assert.equal(b.ownerDocument, document);
    assert.equal(b.attributes.item(0)!.value, "2");
    assert.equal(b.attributes.item(1), null);
    assert.deepEqual([b.hasAttribute("y"), b.hasAttribute("z"), b.hasAttributeNS(null, "y"), b.getAttributeNS("", "y")], [true, false, true, "2"]);
    assert.throws(() => a.appendChild(), /read-only/);
  });
});

describe("limits, enforced while building (the same counts as the pre-scan)", () => {
  test("depth: 8 open elements pass, 9 are refused; empty-element tags do not nest", () => {
    assert.equal(reason("<a>".repeat(8) + "<b/>" + "</a>".repeat(8)), "parsed");
    assert.equal(reason("<a>".repeat(9) + "</a>".repeat(9)), "nesting deeper than 8");
  });

  test("elements: 20 pass, 21 are refused", () => {
    assert.equal(reason(`<a>${"<b/>".repeat(19)}</a>`), "parsed");
    assert.equal(reason(`<a>${"<b/>".repeat(20)}</a>`), "more than 20 elements");
  });

  test("attributes, namespace declarations included: 4 pass, 5 are refused", () => {
    assert.equal(reason('<a xmlns:p="urn:p" b="1" c="2" d="3"/>'), "parsed");
    assert.equal(reason('<a xmlns:p="urn:p" b="1" c="2" d="3" e="4"/>'), "more than 4 attributes on one element");
  });
});

describe("request bytes", () => {
  const parseBytes = (bytes: Buffer) => xmlParser.parse(bytes, LIMITS);

  test("UTF-8 with a byte order mark: the mark is dropped and the encoding declaration still read", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const accepted = parseBytes(Buffer.concat([bom, Buffer.from('<?xml version="1.0" encoding="UTF-8"?><a>é</a>')]));
    assert.equal(accepted.kind, "parsed");
    if (accepted.kind === "parsed") assert.equal(accepted.document.source.charCodeAt(0), 0x3c);
    assert.deepEqual(parseBytes(Buffer.concat([bom, Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a/>')])), { kind: "refused", reason: "unsupported XML encoding ISO-8859-1" });
  });

  test("an ASCII request's text with references and CR is decoded from its bytes as from one string, also with references beyond U+00FF and past a chunk", () => {
    const texts = ["a &amp; b\r\nc &#xE9;", "&lt;x&gt;&#13;&#x20AC; then &amp; more\r", "&#x1D11E;&amp;z", "x".repeat(70_000) + "&amp;" + "y".repeat(70_000) + "&#x20AC;"];
    for (const text of texts) {
      const xml = `<a>${text}</a>`;
      const fromBytes = parseBytes(Buffer.from(xml, "latin1"));
      const fromString = parseTree(xml, LIMITS);
      assert.ok(fromBytes.kind === "parsed" && fromString.kind === "parsed");
      assert.equal(fromBytes.document.documentElement!.textContent, fromString.document.documentElement!.textContent);
    }
  });

  test("bytes that are not UTF-8 (a lone continuation byte, an overlong form, a surrogate) are refused", () => {
    for (const bad of [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      assert.deepEqual(parseBytes(Buffer.concat([Buffer.from("<a>"), Buffer.from(bad), Buffer.from("</a>")])), { kind: "refused", reason: "body is not valid UTF-8" });
    }
  });

  test("all-ASCII bytes are kept beside the text (offsets agree); other bytes are not", () => {
    const ascii = parseBytes(Buffer.from("<a>x</a>"));
    const other = parseBytes(Buffer.from("<a>é</a>"));
    assert.ok(ascii.kind === "parsed" && ascii.document.asciiSource !== undefined);
    assert.ok(other.kind === "parsed" && other.document.asciiSource === undefined);
  });
});

describe("release at the end of a request", () => {
  const LARGE = { maxXmlDepth: 8, maxXmlElements: 20_000, maxAttributesPerElement: 4 };
  const shape = (document: TreeDocument): string => {
    const parts: string[] = [];
    const visit = (node: TreeDocument["firstChild"]) => {
      for (let child = node; child; child = child.nextSibling) {
        if (child.nodeType === 1) {
          const element = child as TreeElement;
          parts.push(`<${element.tagName} ${element.namespaceURI} ${element.plainTags} ${element.plainContent} ${element.attributes.length} ${element.start}-${element.end}>`);
          visit(element.firstChild);
          parts.push(`</${element.tagName}>`);
        } else parts.push(`${child.nodeType}:${child.nodeValue}`);
      }
    };
    visit(document.firstChild);
    return parts.join("");
  };
  const big = (tag: string, count: number) => `<r xmlns:p="urn:${tag}">${Array.from({ length: count }, (_, i) => `<p:${tag} n="${i}">v${i} &amp; ${tag}</p:${tag}>`).join("")}</r>`;
  const parseLarge = (xml: string) => {
    const result = parseTree(xml, LARGE);
    if (result.kind !== "parsed") throw new Error(result.reason);
    return result.document;
  };

  test("a released tree throws on any read instead of showing what a later request wrote into its pages", () => {
    const first = parseLarge(big("first", 3000));
    const element = first.documentElement!.firstChild as TreeElement;
    assert.equal(element.tagName, "p:first");
    first.release();
    first.release(); // twice is harmless
    assert.throws(() => element.tagName);
    assert.throws(() => first.documentElement);
    // The next request reuses the pages: its tree is exactly what a parse into fresh pages gives.
    const second = parseLarge(big("second", 2500));
    const fresh = parseLarge(big("second", 2500));
    assert.equal(shape(second), shape(fresh));
    assert.equal((second.documentElement!.lastChild as TreeElement).getAttribute("n"), "2499");
    assert.throws(() => element.firstChild);
  });
});

describe("the reused array of code units (src/xml/code-units.ts)", () => {
  // Each parse copies its text into one array kept from parse to parse. What an
  // earlier, longer text left beyond this text's end must never be read as part of it.
  const LARGE = { maxXmlDepth: 8, maxXmlElements: 200, maxAttributesPerElement: 4 };
  const full = `<root xmlns:p="urn:p"><p:averyveryverylongelementname a="&quot;v&quot;">text &amp; more&#x20;</p:averyveryverylongelementname><e/>tail]]x</root>`;
  const verdict = (xml: string | Buffer) => {
    const result = xmlParser.parse(xml, LARGE);
    if (result.kind === "parsed") result.document.release();
    return result.kind === "refused" ? result.reason : "parsed";
  };
  /** The tree parser's own reason (xmlParser reports the limits pre-scan's first). */
  const parserReason = (xml: string) => {
    const result = parseTree(xml, LARGE);
    return result.kind === "refused" ? result.reason : "parsed";
  };

  test("truncated documents: every prefix gets the same verdict right after the whole document as after an unrelated one", () => {
    const unrelated = `<u>${"z".repeat(full.length)}</u>`;
    for (let length = 0; length < full.length; length++) {
      const prefix = full.slice(0, length);
      for (const input of [prefix, Buffer.from(prefix)]) {
        verdict(unrelated);
        const alone = verdict(input);
        verdict(full);
        assert.equal(verdict(input), alone, `prefix of ${length} characters`);
        assert.notEqual(alone, "parsed", `prefix of ${length} characters`);
      }
      verdict(unrelated);
      const alone = parserReason(prefix);
      verdict(full);
      assert.equal(parserReason(prefix), alone, `prefix of ${length} characters`);
    }
  });

  test("an end tag cut short at the very end is refused, whatever the longer name left behind", () => {
    verdict(`<a><${"b".repeat(40)}></${"b".repeat(40)}></a>`);
    assert.equal(parserReason(`<a><${"b".repeat(40)}></${"b".repeat(10)}`), `Opening and ending tag mismatch: "${"b".repeat(40)}" != "${"b".repeat(10)}"`);
  });

  test("non-ASCII and supplementary-plane text, from bytes and from a string; lone surrogates in a string are refused", () => {
    for (const xml of ["<a b=\"é\">日本 \u{1F600}</a>", "<é>x</é>"]) {
      assert.equal(verdict(xml), "parsed");
      assert.equal(verdict(Buffer.from(xml)), "parsed");
    }
    assert.equal(verdict("<a>\uDE00x</a>"), "character U+DE00 is not allowed in XML");
    assert.equal(verdict("<a>x\uD83D</a>"), "character U+D83D is not allowed in XML");
    const result = xmlParser.parse(Buffer.from("<a b=\"日本\">\u{1F600}&amp;</a>"), LARGE);
    assert.ok(result.kind === "parsed");
    assert.equal(result.document.documentElement!.getAttribute("b"), "日本");
    assert.equal(result.document.documentElement!.textContent, "\u{1F600}&");
  });
});
