/**
 * A request's text is decoded into chunks small enough to stay ordinary
 * heap objects (src/xml/source-text.ts). These tests hold the chunked text
 * to the one string it stands for: the reads the parser and the tree make,
 * the decoding of ASCII and UTF-8 bytes (chunks cut only where a character
 * starts), and whole requests larger than a chunk, parsed from their bytes,
 * against the same text parsed as one string.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { C14N_ALGORITHMS, canonicalize } from "../../src/wss/c14n.js";
import { xmlParser } from "../../src/xml/parse.js";
import { SourceText } from "../../src/xml/source-text.js";
import { parseTree } from "../../src/xml/tree-parser.js";
import type { Element } from "../../src/xml/tree.js";
import { shapeOf } from "../helpers/xml-oracles.js";

const LIMITS = { maxXmlDepth: 128, maxXmlElements: 1_000_000, maxAttributesPerElement: 64 };

/** Characters of 1 to 4 UTF-8 bytes (the last as a surrogate pair), and markup. */
const CHARACTERS = ["a", "<", ">", "&", ";", "]", "-", "\n", "é", "€", "𝄞", "\u0000"];
const text = fc.array(fc.constantFrom(...CHARACTERS), { maxLength: 60 }).map((parts) => parts.join(""));

describe("a text in chunks reads as the one string", () => {
  test("slice, charCodeAt, startsWith, indexOf and writeEach agree with String's for every chunk size", () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 9 }), fc.nat(), fc.nat(), fc.constantFrom(...CHARACTERS, "]]>", "--", "?>", "é€", "a<"), (whole, chunkUnits, a, b, search) => {
        const source = SourceText.chunked(whole, chunkUnits);
        const limit = whole.length + 2;
        const [start, end] = [a % limit, b % limit].sort((x, y) => x - y) as [number, number];
        assert.equal(source.length, whole.length);
        assert.equal(source.toString(), whole);
        assert.equal(source.slice(start, end), whole.slice(start, end));
        assert.equal(source.slice(end, start), whole.slice(end, start));
        assert.ok(Object.is(source.charCodeAt(start), whole.charCodeAt(start)));
        assert.equal(source.startsWith(search, start), whole.startsWith(search, start));
        assert.equal(source.indexOf(search, start), whole.indexOf(search, start));
        const pieces: string[] = [];
        source.writeEach(start, end, (piece) => pieces.push(piece));
        assert.equal(pieces.join(""), whole.slice(start, end));
        for (const piece of pieces.slice(0, -1)) assert.ok(!/[\ud800-\udbff]$/.test(piece), "a chunk boundary inside a surrogate pair");
      }),
      { numRuns: 3000, seed: 2611 },
    );
  });
});

describe("request bytes decoded into chunks", () => {
  const large = (count: number) => fc.array(fc.constantFrom(...CHARACTERS), { minLength: count, maxLength: count }).map((parts) => parts.join(""));

  test("UTF-8 bytes over a chunk: chunks cut where a character starts, the whole text as Buffer decodes it", () => {
    fc.assert(
      fc.property(large(80_000), fc.nat(3), (whole, offset) => {
        const bytes = Buffer.from("x".repeat(offset) + whole);
        const source = SourceText.fromUtf8(bytes);
        assert.ok(source.pieces().length > 1);
        for (const piece of source.pieces()) {
          assert.ok(Buffer.byteLength(piece) <= 65504);
          assert.ok(!piece.includes("\ufffd"), "a chunk cut inside a character");
        }
        assert.equal(source.toString(), bytes.toString("utf8"));
      }),
      { numRuns: 20, seed: 77, endOnFailure: true }, // shrinking 80,000 characters would take minutes
    );
  });

  test("ASCII bytes over a chunk: chunks of 128 KiB less 64 bytes, the whole text as Buffer decodes it", () => {
    const bytes = Buffer.from("<a>" + "x".repeat(200_000) + "</a>");
    const source = SourceText.fromAscii(bytes);
    assert.deepEqual(
      source.pieces().map((piece) => piece.length),
      [131008, 68999],
    );
    assert.equal(source.toString(), bytes.toString("latin1"));
  });
});

describe("a request larger than a chunk, parsed from its bytes", () => {
  /** Records whose text crosses chunk boundaries: references, CR LF, non-ASCII characters, CDATA and comments. */
  function document(records: number, text: (i: number) => string, note = "a&amp;b\tc"): string {
    const body = Array.from({ length: records }, (_, i) => `<record id="r${i}" note="${i % 3 === 0 ? note : "plain"}"><value>${text(i)}</value><!-- ${i} --><![CDATA[${i}<]]></record>`).join("\r\n");
    return `<?xml version="1.0" encoding="UTF-8"?>\n<batch xmlns="urn:batch" xmlns:p="urn:p"><p:records>${body}</p:records></batch>`;
  }

  function assertSameAsOneString(xml: string, ascii: boolean): void {
    const bytes = Buffer.from(xml);
    assert.equal(bytes.length === xml.length, ascii);
    assert.ok(bytes.length > 200_000);
    const fromBytes = xmlParser.parse(bytes, LIMITS);
    const fromString = parseTree(xml, LIMITS);
    assert.equal(fromBytes.kind, "parsed");
    assert.equal(fromString.kind, "parsed");
    if (fromBytes.kind !== "parsed" || fromString.kind !== "parsed") return;
    assert.ok(fromBytes.document.source.pieces().length > (ascii ? 2 : 4), "the request was decoded into chunks");
    assert.equal(fromBytes.document.asciiSource !== undefined, ascii);
    const ours = fromBytes.document.documentElement as Element;
    const theirs = fromString.document.documentElement as Element;
    assert.deepEqual(shapeOf(ours), shapeOf(theirs));
    for (const algorithm of [C14N_ALGORITHMS.exclusive, C14N_ALGORITHMS.inclusive10]) {
      assert.deepEqual(canonicalize(ours as never, algorithm), canonicalize(theirs as never, algorithm));
    }
  }

  test("ASCII: same tree and canonical forms as the text parsed as one string", () => {
    assertSameAsOneString(document(2_500, (i) => `value ${i} &lt; ${"v".repeat(i % 97)} &#x41;`), true);
  });

  test("UTF-8 with characters of 2, 3 and 4 bytes: same tree and canonical forms", () => {
    assertSameAsOneString(document(2_500, (i) => `é${"€".repeat(i % 13)} 𝄞 &gt; ${"ü".repeat(i % 41)}`, "a&amp;b\té"), false);
  });

  test("UTF-8 already canonical in the source (written from it, span by span across chunks): same canonical forms", () => {
    const records = Array.from({ length: 4_000 }, (_, i) => `<record><value>é${"€".repeat(i % 13)} 𝄞 ${i}</value><p:note>ü</p:note></record>`).join("");
    assertSameAsOneString(`<batch xmlns="urn:batch" xmlns:p="urn:p"><p:records>${records}</p:records></batch>`, false);
  });

  test("a declared encoding other than UTF-8 is refused in a request of many chunks too (ASCII, and UTF-8 after a byte order mark)", () => {
    const declared = document(3_000, (i) => `v${i}`).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    const refused = { kind: "refused", reason: "unsupported XML encoding ISO-8859-1" };
    assert.deepEqual(xmlParser.parse(Buffer.from(declared), LIMITS), refused);
    const withMark = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(declared.replace("v2999", "é"))]);
    assert.ok(withMark.length > 140_000);
    assert.deepEqual(xmlParser.parse(withMark, LIMITS), refused);
  });

  test("an error past the first chunk is reported as from one string", () => {
    const xml = document(2_000, (i) => `v${i}`).replace("<value>v1999</value>", "<value>v1999</valeu>");
    const fromBytes = xmlParser.parse(Buffer.from(xml), LIMITS);
    assert.deepEqual(fromBytes, { kind: "refused", reason: 'not well-formed XML: Opening and ending tag mismatch: "value" != "valeu"' });
  });
});
