/**
 * The operation response is XML the client parses: every stored value must
 * come back exactly, whatever characters it holds. Checked by parsing the
 * serialized response with a conformant parser (@xmldom) and comparing the
 * text of each element with what was stored.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DOMParser } from "@xmldom/xmldom";
import { encodeOperationResponse, serializeOperationResponse } from "../../src/soap/response.js";
import { INCIDENT, openTestStore, records, type TestStore } from "../helpers/table-fixture.js";

let t: TestStore;
before(async () => {
  t = await openTestStore();
});
after(async () => {
  await t.close();
});

function parse(xml: string): Document {
  return new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`response is not well-formed: ${message}`);
    },
  }).parseFromString(xml, "text/xml") as unknown as Document;
}

describe("response values are escaped so the client reads what was stored", () => {
  const tricky = ["a & b", "<tag attr='x'>", "x > y", "]]>", "line1\r\nline2\rline3\n", "tab\there", '"quoted"', "é ✓ 𝄞", ""];

  for (const version of ["1.1", "1.2"] as const) {
    test(`SOAP ${version}: & < > ]]> CR (alone and before LF), quotes and non-ASCII in stored values → the parsed response has them exactly`, async () => {
      const inner = tricky
        .map((value) => `<record><short_description>${value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/\r/g, "&#13;")}</short_description></record>`)
        .join("");
      const response = await t.run(`<insertMultiple>${inner}</insertMultiple>`);
      assert.deepEqual(
        records(response, "insertResponse").map((items) => items.short_description),
        tricky,
        "the operation stored and echoes the values",
      );
      const xml = serializeOperationResponse(version, INCIDENT.name, "insertMultiple", response.items);
      const echoed = [...parse(xml).getElementsByTagName("short_description")].map((element) => element.textContent);
      assert.deepEqual(echoed, tricky);
    });
  }

  test("a response of many records and long values, with characters of 1 to 4 UTF-8 bytes on every chunk boundary → the same bytes as the whole text encoded at once", async () => {
    const values = ["a&b", "é", "✓", "𝄞", "x".repeat(40_000), "<é✓𝄞>".repeat(5_000)];
    const inner = Array.from({ length: 3_000 }, (_, index) => {
      const value = values[index % values.length]!.replace(/&/g, "&amp;").replace(/</g, "&lt;");
      return `<record><short_description>${index}${value.slice(0, 150)}</short_description></record>`;
    }).join("");
    const many = await t.run(`<insertMultiple>${inner}</insertMultiple>`);
    const long = await t.run(`<insertMultiple>${values.map((value) => `<record><number>${value.length}</number></record>`).join("")}</insertMultiple>`);
    const longValues = { items: long.items.map((item, index) => ({ name: "insertResponse", children: [{ name: "short_description", value: values[index]! }] })) };
    for (const response of [many, longValues]) {
      const expected = Buffer.from(
        serializeWithoutSink(response.items as readonly { name: string; children: readonly { name: string; value: string }[] }[]),
        "utf8",
      );
      assert.ok(encodeOperationResponse("1.1", INCIDENT.name, "insertMultiple", response.items).equals(expected));
    }
  });

  test("a get of a value with CR answers it escaped (&#13;), not as a raw line end", async () => {
    const [inserted] = records(await t.run("<insertMultiple><record><short_description>a&#13;b</short_description></record></insertMultiple>"), "insertResponse");
    const response = await t.run(`<get><sys_id>${inserted!.sys_id}</sys_id></get>`);
    const xml = serializeOperationResponse("1.1", INCIDENT.name, "get", response.items);
    assert.ok(xml.includes("<short_description>a&#13;b</short_description>"), xml);
  });
});

/** The expected response text, written out independently of the sink (values escaped as SPEC §4 responses are). */
function serializeWithoutSink(items: readonly { name: string; children: readonly { name: string; value: string }[] }[]): string {
  const escape = (value: string) => value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
  const body = items.map((item) => `<${item.name}>${item.children.map((child) => `<${child.name}>${escape(child.value)}</${child.name}>`).join("")}</${item.name}>`);
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
    `<ns:insertMultipleResponse xmlns:ns="http://www.service-now.com/incident">${body.join("")}</ns:insertMultipleResponse></soapenv:Body></soapenv:Envelope>`
  );
}
