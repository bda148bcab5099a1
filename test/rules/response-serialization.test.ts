/**
 * The operation response is XML the client parses: every stored value must
 * come back exactly, whatever characters it holds. Checked by parsing the
 * serialized response with a conformant parser (@xmldom) and comparing the
 * text of each element with what was stored.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DOMParser } from "@xmldom/xmldom";
import { serializeOperationResponse } from "../../src/soap/response.js";
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

  test("a get of a value with CR answers it escaped (&#13;), not as a raw line end", async () => {
    const [inserted] = records(await t.run("<insertMultiple><record><short_description>a&#13;b</short_description></record></insertMultiple>"), "insertResponse");
    const response = await t.run(`<get><sys_id>${inserted!.sys_id}</sys_id></get>`);
    const xml = serializeOperationResponse("1.1", INCIDENT.name, "get", response.items);
    assert.ok(xml.includes("<short_description>a&#13;b</short_description>"), xml);
  });
});
