/**
 * Responses are collected as UTF-8 chunks (src/soap/response-writer.ts),
 * and insertMultiple writes its records straight from the stored batch
 * without making response items. The rule: the bytes are exactly those of
 * the response text (values escaped as SPEC §4 responses are: & < > and CR)
 * encoded as UTF-8 at once — whatever the values hold (non-ASCII, surrogate
 * pairs and lone surrogates, long values across the writer's 16 K-character
 * chunks) — and insertMultiple's direct writing gives the bytes of its items.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import type { ColumnAccess, OperationResponse, ResponseItem } from "../../src/operations/index.js";
import { ALLOW_ALL_COLUMNS, runOperation } from "../../src/operations/index.js";
import { encodeOperationResponse, encodeResponse } from "../../src/soap/response.js";
import { ResponseWriter } from "../../src/soap/response-writer.js";
import { xmlParser } from "../../src/xml/parse.js";
import { flat, INCIDENT, openTestStore, tableDef, type TestStore } from "../helpers/table-fixture.js";

/** The incident table with room for long texts (the generated values reach 16 K characters and beyond). */
const WIDE = tableDef("incident", [
  { name: "number", type: "string", maxLength: 40 },
  { name: "short_description", type: "string", maxLength: undefined },
]);

let t: TestStore;
let wide: TestStore;
before(async () => {
  t = await openTestStore();
  wide = await openTestStore([WIDE]);
});
after(async () => {
  await t.close();
  await wide.close();
});

const numberHidden: ColumnAccess = { canRead: (column) => column !== "number", canWrite: () => true };

/** The response text written out independently of the writer, encoded at once. */
function expectedBytes(version: "1.1" | "1.2", operation: string, items: readonly ResponseItem[]): Buffer {
  const escape = (value: string) => value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
  const write = (list: readonly ResponseItem[]): string =>
    list.map((item) => `<${item.name}>${"children" in item ? write(item.children) : escape(item.value)}</${item.name}>`).join("");
  const soap = version === "1.1" ? "http://schemas.xmlsoap.org/soap/envelope/" : "http://www.w3.org/2003/05/soap-envelope";
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${soap}"><soapenv:Body>` +
      `<ns:${operation}Response xmlns:ns="http://www.service-now.com/incident">${write(items)}</ns:${operation}Response></soapenv:Body></soapenv:Envelope>`,
    "utf8",
  );
}

const unit = fc.constantFrom("a", "Z", " ", "&", "<", ">", "\r", "\n", "\t", '"', "é", "✓", "𝄞", "\ud800", "\udc00", "]]>");
const value = fc.oneof(
  fc.string({ unit, maxLength: 30 }),
  // Long values, around the writer's chunk size and beyond; a pair or a character to escape may end a chunk.
  fc.tuple(fc.integer({ min: 16_370, max: 16_400 }), fc.string({ unit, maxLength: 6 })).map(([length, tail]) => "x".repeat(length) + tail),
  fc.tuple(fc.string({ unit: fc.constantFrom("é", "a", "𝄞"), maxLength: 20 }), fc.integer({ min: 1, max: 3 })).map(([text, times]) => text.repeat(times * 800)),
);

describe("responses are written as the UTF-8 of their text", () => {
  test("generated items (nested, any characters, long values) → exactly the bytes of the text encoded at once, SOAP 1.1 and 1.2", () => {
    const item = fc.record({ name: fc.constantFrom("sys_id", "number", "short_description"), value });
    const items = fc.array(fc.oneof(item, fc.record({ name: fc.constant("insertResponse"), children: fc.array(item, { maxLength: 4 }) })), { maxLength: 5 });
    fc.assert(
      fc.property(items, fc.constantFrom("1.1" as const, "1.2" as const), (list, version) => {
        assert.ok(encodeOperationResponse(version, "incident", "getRecords", list).equals(expectedBytes(version, "getRecords", list)));
      }),
      { numRuns: 500 },
    );
  });

  test("a surrogate pair at a chunk's end → still one 4-byte character", () => {
    const text = `${"x".repeat(16_383)}𝄞${"y".repeat(10)}`;
    const items = [{ name: "short_description", value: text }];
    const bytes = encodeOperationResponse("1.1", "incident", "get", items);
    assert.ok(bytes.equals(expectedBytes("1.1", "get", items)));
    assert.ok(bytes.includes(Buffer.from("𝄞", "utf8")));
    // A lone high surrogate, then a pair.
    const lone = { name: "short_description", value: `${"x".repeat(16_382)}\ud800𝄞z` };
    assert.ok(encodeOperationResponse("1.1", "incident", "get", [lone]).equals(expectedBytes("1.1", "get", [lone])));
  });
});

describe("insertMultiple writes its records from the batch as its items would be written", () => {
  const text = fc.string({ unit: fc.constantFrom("a", "&", "<", ">", "\r", "é", "𝄞", " "), maxLength: 8 }).map((value) =>
    value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;"),
  );
  const record = fc
    .record(
      {
        number: fc.string({ unit: fc.constantFrom("A", "é", "𝄞", "&amp;"), maxLength: 3 }),
        short_description: text,
        priority: fc.constantFrom("", "7", " -3 ", '" xsi:nil="true'),
        cost: fc.constantFrom("1.50", "", "0.1"),
        active: fc.constantFrom("true", "0", ""),
        opened_at: fc.constantFrom("2024-05-01T12:00:00+02:00", ""),
      },
      { requiredKeys: [] },
    )
    .map((fields) =>
      Object.entries(fields)
        .map(([name, content]) => (content.startsWith('"') ? `<${name} xsi:nil="true"/>` : `<${name}>${content}</${name}>`))
        .join(""),
    );

  for (const [label, access] of [
    ["every column readable", ALLOW_ALL_COLUMNS],
    ["number not readable", numberHidden],
  ] as const) {
    test(`generated records (${label}) → writeItems gives the bytes of the items`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 5 }), fc.constantFrom("1.1" as const, "1.2" as const), async (records, version) => {
          const xml = `<insertMultiple xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${records.map((inner) => `<record>${inner}</record>`).join("")}</insertMultiple>`;
          const response = await t.run(xml, { access });
          assert.ok(response.writeItems, "insertMultiple writes its records itself");
          const direct = encodeResponse(version, INCIDENT.name, "insertMultiple", response);
          assert.ok(direct.equals(encodeOperationResponse(version, INCIDENT.name, "insertMultiple", response.items)));
          assert.ok(direct.equals(expectedBytes(version, "insertMultiple", response.items)));
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe("insert and insertMultiple echo a value whose request source is already its escaped form from that source", () => {
  const LIMITS = { maxXmlDepth: 64, maxXmlElements: 100_000, maxAttributesPerElement: 64 };
  // How a text may be written in the request: canonical pieces (echoed from the source) and every other way (escaped anew).
  const canonicalPiece = fc.oneof(
    { arbitrary: fc.constantFrom("a", " ", "é", "𝄞", "\t", "\n", "&amp;", "&lt;", "&gt;", "]", "x;"), weight: 10 },
    { arbitrary: fc.integer({ min: 16_370, max: 16_400 }).map((length) => "y".repeat(length)), weight: 1 },
  );
  const otherPiece = fc.constantFrom("&quot;", "&apos;", "&#38;", "&#x3C;", "&#62;", "&#13;", "&#xD;", ">", "\r\n", "\r", "<![CDATA[<&>\r]]>", "<!--c-->", "&#x1D11E;");
  const source = fc.array(fc.oneof({ arbitrary: canonicalPiece.map((text) => ({ text, canonical: true })), weight: 12 }, { arbitrary: otherPiece.map((text) => ({ text, canonical: false })), weight: 1 }), { maxLength: 12 }).map((pieces) => ({
    text: pieces.map((piece) => piece.text).join(""),
    canonical: pieces.length > 0 && pieces.every((piece) => piece.canonical),
  })).filter((generated) => !generated.text.includes("]]>")); // "]", "]" and ">" side by side are not well-formed XML
  const shortText = fc.constantFrom("N1", "a&amp;b", "&lt;x&gt;", "a&#13;b", "q>r", "");

  function treeOperation(xml: string): import("../../src/xml/tree.js").Element {
    const parsed = xmlParser.parse(Buffer.from(xml, "utf8"), LIMITS);
    if (parsed.kind !== "parsed") throw new Error(`generated XML refused: ${parsed.reason}`);
    return parsed.document.documentElement!;
  }

  for (const operation of ["insert", "insertMultiple"] as const) {
    test(`${operation}: generated sources of a text (references, raw '>', CR, CDATA, comments, long runs) → the bytes written equal the items escaped anew`, async () => {
      let canonical = 0;
      await fc.assert(
        fc.asyncProperty(source, source, shortText, fc.constantFrom("1.1" as const, "1.2" as const), async (description, other, number, version) => {
          const fields = `<short_description>${description.text}</short_description><number>${number}</number>`;
          const inner = operation === "insert" ? fields : `<record>${fields}</record><record><short_description>${other.text}</short_description></record>`;
          const response: OperationResponse = await runOperation({
            table: WIDE,
            operation,
            element: treeOperation(`<${operation}>${inner}</${operation}>`),
            sessionUser: "partner.soap",
            store: wide.store,
            access: ALLOW_ALL_COLUMNS,
            clock: wide.clock,
          });
          assert.ok(response.writeItems);
          const direct = encodeResponse(version, WIDE.name, operation, response);
          assert.ok(direct.equals(expectedBytes(version, operation, response.items)), `${operation} of ${JSON.stringify(inner).slice(0, 300)}`);
          if (description.canonical) canonical++;
        }),
        { numRuns: 300 },
      );
      assert.ok(canonical > 50, `${canonical} generated values were canonical in their source`);
    });
  }

  test("a long value of an all-ASCII request is echoed from the request's own bytes (no string made, no encoding), for insert and insertMultiple; a non-ASCII request's as text; the same bytes", async () => {
    const long = "lorem &amp; ipsum &lt;b&gt; dolor ".repeat(400); // 13,600 characters, canonical, ASCII
    const calls: number[] = [];
    const original = ResponseWriter.prototype.bytes;
    ResponseWriter.prototype.bytes = function (this: ResponseWriter, utf8: Uint8Array) {
      calls.push(utf8.length);
      original.call(this, utf8);
    };
    try {
      for (const [operation, inner, asciiEchoes] of [
        ["insert", `<short_description>${long}</short_description><number>N1</number>`, [long.length]],
        ["insertMultiple", `<record><short_description>${long}</short_description></record><record><short_description>${long}x</short_description><number>N2</number></record>`, [long.length, long.length + 1]],
        ["insert", `<short_description>${long}</short_description><number>é</number>`, []],
      ] as const) {
        calls.length = 0;
        const response = await runOperation({ table: WIDE, operation, element: treeOperation(`<${operation}>${inner}</${operation}>`), sessionUser: "partner.soap", store: wide.store, access: ALLOW_ALL_COLUMNS, clock: wide.clock });
        const bytes = encodeResponse("1.1", WIDE.name, operation, response);
        assert.deepEqual(calls, asciiEchoes, `${operation}: values echoed from the request's bytes`);
        assert.ok(bytes.equals(expectedBytes("1.1", operation, response.items)), operation);
        assert.ok(bytes.includes(Buffer.from(`<short_description>${long}</short_description>`)));
      }
    } finally {
      ResponseWriter.prototype.bytes = original;
    }
  });

  test("a value read with @xmldom (any other DOM) is escaped anew: the same bytes", async () => {
    const xml = "<insert><short_description>a &amp; b &lt;c&gt;</short_description><number>N2</number></insert>";
    const response = await wide.run(xml);
    assert.ok(encodeResponse("1.1", WIDE.name, "insert", response).equals(expectedBytes("1.1", "insert", response.items)));
    assert.equal(flat(response.items).short_description, "a & b <c>");
  });
});
