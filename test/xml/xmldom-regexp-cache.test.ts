/**
 * The xmldom RegExp cache (src/xml/xmldom-regexp-cache.ts) is a speed fix
 * only: the parser must accept and refuse exactly what it did, end tags
 * included (the patterns it caches are the ones that check end-tag names).
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { xmlParser } from "../../src/xml/parse.js";
import { installXmldomRegExpCache } from "../../src/xml/xmldom-regexp-cache.js";

const limits = { maxXmlDepth: 128, maxXmlElements: 1000, maxAttributesPerElement: 64 };
const grammar = createRequire(import.meta.url)("@xmldom/xmldom/lib/grammar.js") as {
  reg: (...parts: (RegExp | string)[]) => RegExp;
  QName_group: RegExp;
  S_OPT: RegExp;
};

function reasonOf(xml: string): string {
  const result = xmlParser.parse(xml, limits);
  return result.kind === "refused" ? result.reason : "parsed";
}

test("the end-tag pattern is compiled once and reused (the xmldom 0.9 slowdown)", () => {
  assert.equal(installXmldomRegExpCache(), true);
  const first = grammar.reg("^", grammar.QName_group, grammar.S_OPT, "$");
  const second = grammar.reg("^", grammar.QName_group, grammar.S_OPT, "$");
  assert.equal(first, second);
  assert.equal(first.flags, "u");
  assert.notEqual(grammar.reg("^", grammar.QName_group), first);
});

test("installing twice does not wrap twice", () => {
  const before = grammar.reg;
  assert.equal(installXmldomRegExpCache(), true);
  assert.equal(grammar.reg, before);
});

test("end-tag names are still checked on every end tag: invalid names, mismatches, trailing content", () => {
  // Each twice: a cached pattern must judge the second document like the first.
  for (let round = 0; round < 2; round++) {
    assert.equal(reasonOf("<a><b></b ></a>"), "parsed");
    assert.equal(reasonOf("<a></a b>"), 'not well-formed XML: end tag name contains invalid characters: "a b"');
    assert.equal(reasonOf("<a></1a>"), 'not well-formed XML: end tag name contains invalid characters: "1a"');
    assert.equal(reasonOf("<a><b></c></a>"), 'not well-formed XML: Opening and ending tag mismatch: "b" != "c"');
    assert.match(reasonOf("<a></a\nx>"), /^not well-formed XML: end tag name is followed by a line break and trailing content/);
    assert.equal(reasonOf("<é:a xmlns:é='urn:e'><b/></é:a>"), "parsed");
  }
});
