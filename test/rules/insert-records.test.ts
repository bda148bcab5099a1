/**
 * insert and insertMultiple read their records in one pass into one batch
 * for the store (src/operations/record-batch.ts). The rule they must keep:
 * a record is checked exactly as `parseAssignments(requestChildren(…))`
 * checks an insert's or update's children — same fault, same message, same
 * first problem — and the response echoes what was stored. Proven here
 * against that function over generated records, on a real SQLite store.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import fc from "fast-check";
import type { ColumnAccess } from "../../src/operations/index.js";
import { ALLOW_ALL_COLUMNS } from "../../src/operations/index.js";
import { parseAssignments, recordItems } from "../../src/operations/records.js";
import { requestChildren } from "../../src/operations/request-elements.js";
import { SoapFault } from "../../src/soap/faults.js";
import { parseColumnValue } from "../../src/operations/values.js";
import type { StoredValue } from "../../src/store/types.js";
import { countRows, flat, INCIDENT, openTestStore, records, type TestStore } from "../helpers/table-fixture.js";
import { operationElement } from "../helpers/dom.js";

const TABLE_NS = "http://www.service-now.com/incident";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";
const SYS_ID = /^[0-9a-f]{32}$/;

const costReadOnly: ColumnAccess = { canRead: () => true, canWrite: (column) => column !== "cost" };
const numberHidden: ColumnAccess = { canRead: (column) => column !== "number", canWrite: () => true };

let t: TestStore;
before(async () => {
  t = await openTestStore();
});
after(async () => {
  await t.close();
});
beforeEach(async () => {
  await t.store.transaction((tx) => tx.delete(INCIDENT, { kind: "all" }));
});

/** One child of a generated record, as XML. */
const childXml = fc
  .record({
    name: fc.constantFrom("number", "short_description", "priority", "cost", "active", "opened_at", "sys_id", "sys_created_by", "bogus", "Number"),
    namespace: fc.constantFrom("none", "none", "none", "none", "table", "other"),
    content: fc.constantFrom(
      "A1",
      "ABCDEFGHIJKL",
      "",
      " 7 ",
      "7",
      "-0",
      "1.50",
      "x&amp;y",
      "a&#13;b",
      "true",
      "0",
      "yes",
      "2024-02-29 10:00:00",
      "2024-02-30 10:00:00",
      "2024-05-01T12:00:00+02:00",
      "<x/>",
      "<!--c-->9",
      "<![CDATA[<3]]>",
      "<?pi x?>",
    ),
    nil: fc.constantFrom("", "", "", ' xsi:nil="true"', ' xsi:nil="1"', ' xsi:nil="false"'),
  })
  .map(({ name, namespace, content, nil }) => {
    const qname = namespace === "table" ? `t:${name}` : namespace === "other" ? `o:${name}` : name;
    return `<${qname}${nil}>${content}</${qname}>`;
  });

const separator = fc.constantFrom("", "", " ", "\n  ", "<!--between-->", "z");

const recordXml = fc
  .array(fc.tuple(separator, childXml), { maxLength: 6 })
  .map((children) => children.map(([before, child]) => before + child).join(""));

function wrap(operation: string, inner: string): string {
  return `<${operation} xmlns:t="${TABLE_NS}" xmlns:o="urn:other" xmlns:xsi="${XSI}">${inner}</${operation}>`;
}

type Outcome = { kind: "fault"; id: string; message: string } | { kind: "stored"; items: Record<string, string> };

/** What `parseAssignments` says of the record, and the response items an insert of it answers. */
function expected(inner: string, access: ColumnAccess, element: "insert" | "record" = "insert"): Outcome {
  try {
    const assignments = parseAssignments(requestChildren(operationElement(wrap(element, inner)), INCIDENT), {
      operation: element === "insert" ? "insert" : "insertMultiple",
      table: INCIDENT,
      access,
    });
    const row = new Map<string, StoredValue>([
      ["sys_id", "0".repeat(32)],
      ["sys_created_on", "2024-03-01 10:00:00"],
      ["sys_created_by", "partner.soap"],
      ["sys_updated_on", "2024-03-01 10:00:00"],
      ["sys_updated_by", "partner.soap"],
    ]);
    for (const [name, { value }] of assignments) row.set(name, value);
    return { kind: "stored", items: flat(recordItems(INCIDENT, row, access)) };
  } catch (error) {
    if (!(error instanceof SoapFault)) throw error;
    return { kind: "fault", id: error.id, message: error.message };
  }
}

async function actual(run: () => Promise<Record<string, string>>): Promise<Outcome> {
  try {
    const items = await run();
    assert.match(items.sys_id ?? "", SYS_ID);
    return { kind: "stored", items: { ...items, sys_id: "0".repeat(32) } };
  } catch (error) {
    if (!(error instanceof SoapFault)) throw error;
    return { kind: "fault", id: error.id, message: error.message };
  }
}

describe("a record is checked as parseAssignments checks it", () => {
  for (const [label, access] of [
    ["every column writable", ALLOW_ALL_COLUMNS],
    ["cost not writable", costReadOnly],
    ["number not readable", numberHidden],
  ] as const) {
    test(`insert of a generated record → the same fault, or the same echoed values (${label})`, async () => {
      await fc.assert(
        fc.asyncProperty(recordXml, async (inner) => {
          const before = await countRows(t.store);
          const outcome = await actual(async () => flat((await t.run(wrap("insert", inner), { access })).items));
          assert.deepEqual(outcome, expected(inner, access));
          assert.equal(await countRows(t.store), before + (outcome.kind === "stored" ? 1 : 0));
        }),
        { numRuns: 250 },
      );
    });
  }

  test("insertMultiple of generated records → the first bad record's fault as 'Record N: …' and nothing written, else every record echoed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordXml, { minLength: 1, maxLength: 4 }), async (inners) => {
        const outcomes = inners.map((inner) => expected(inner, ALLOW_ALL_COLUMNS, "record"));
        const firstBad = outcomes.findIndex((outcome) => outcome.kind === "fault");
        const xml = wrap("insertMultiple", inners.map((inner) => `<record>${inner}</record>`).join(""));
        const before = await countRows(t.store);
        try {
          const response = await t.run(xml);
          assert.equal(firstBad, -1, `record ${firstBad + 1} should have been refused`);
          const echoed = records(response, "insertResponse");
          assert.equal(echoed.length, inners.length);
          echoed.forEach((items, index) => {
            assert.match(items.sys_id ?? "", SYS_ID);
            assert.deepEqual({ ...items, sys_id: "0".repeat(32) }, (outcomes[index] as { items: Record<string, string> }).items);
          });
          assert.equal(new Set(echoed.map((items) => items.sys_id)).size, inners.length, "every record has its own sys_id");
          assert.equal(await countRows(t.store), before + inners.length);
        } catch (error) {
          if (!(error instanceof SoapFault)) throw error;
          const bad = outcomes[firstBad] as { id: string; message: string } | undefined;
          assert.ok(bad, `unexpected fault ${error.message}`);
          assert.equal(error.id, bad.id);
          assert.equal(error.message, bad.id === "badRequest" ? `Record ${firstBad + 1}: ${bad.message}` : bad.message);
          assert.equal(await countRows(t.store), before);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("large batches", () => {
  test("insertMultiple of 2,500 records → every record stored once, with its values, responses in request order", async () => {
    const count = 2500;
    const inner = Array.from(
      { length: count },
      (_, index) => `<record><number>B${index}</number><priority>${index}</priority><active>${index % 2 === 0}</active>${index % 3 === 0 ? "<cost/>" : ""}</record>`,
    ).join("");
    const response = await t.run(`<insertMultiple>${inner}</insertMultiple>`);
    const echoed = records(response, "insertResponse");
    assert.deepEqual(
      echoed.map((items) => items.number),
      Array.from({ length: count }, (_, index) => `B${index}`),
    );
    assert.equal(new Set(echoed.map((items) => items.sys_id)).size, count);
    assert.equal(await countRows(t.store), count);
    const stored = await t.store.transaction((tx) =>
      tx.select(INCIDENT, { filter: { kind: "compare", column: "number", op: "=", value: "B2499" }, orderBy: [], offset: 0, limit: 2 }),
    );
    assert.equal(stored.length, 1);
    assert.deepEqual([stored[0]!.get("priority"), stored[0]!.get("active"), stored[0]!.get("cost"), stored[0]!.get("sys_id")], [2499, false, null, echoed[2499]!.sys_id]);
  });

  test("insertMultiple of 2,500 records whose last one has a bad value → 'Record 2500: …', nothing written", async () => {
    const inner = `${"<record><number>OK</number></record>".repeat(2499)}<record><priority>high</priority></record>`;
    await assert.rejects(t.run(`<insertMultiple>${inner}</insertMultiple>`), {
      message: "Record 2500: Invalid integer value for field 'priority': 'high'",
    });
    assert.equal(await countRows(t.store), 0);
  });
});

describe("max_length counts characters (code points)", () => {
  test("any text (surrogate pairs, lone surrogates included) is refused exactly when it has more code points than max_length", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "é", "😀", "\ud800", "\udc00", "中"), maxLength: 14 }), fc.integer({ min: 0, max: 12 }), (text, maxLength) => {
        const column = { name: "title", type: "string" as const, maxLength };
        const tooLong = [...text].length > maxLength;
        if (tooLong) assert.throws(() => parseColumnValue(column, text), { message: `Value for field 'title' is longer than ${maxLength} characters` });
        else assert.equal(parseColumnValue(column, text), text);
      }),
      { numRuns: 2000 },
    );
  });
});
