/**
 * insert and insertMultiple read a parsed request tree by record index
 * (src/xml/tree-records.ts), not through its node objects; any other DOM
 * (@xmldom in tests and tools) is read through its nodes. The rule: both
 * readers give the same answer for the same XML — the same fault with the
 * same message (namespace checks, stray text, comments, "must contain text
 * only", xsi:nil, repeats, unknown and system fields, insufficient rights,
 * "Record N: …"), or the same stored and echoed values — proven here over
 * generated requests, each run once through the gateway's own parse and
 * once through @xmldom, on a real SQLite store.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import type { ColumnAccess, OperationResponse, ResponseItem } from "../../src/operations/index.js";
import { ALLOW_ALL_COLUMNS, runOperation } from "../../src/operations/index.js";
import { SoapFault } from "../../src/soap/faults.js";
import { xmlParser } from "../../src/xml/parse.js";
import type { Element } from "../../src/xml/tree.js";
import { isTreeDocument } from "../../src/xml/tree.js";
import { F_FIRST_CHILD, F_NEXT, NONE } from "../../src/xml/tree.js";
import { treePosition } from "../../src/xml/tree-records.js";
import { RecordBatchReader } from "../../src/operations/record-batch.js";
import { performOperation } from "../../src/pipeline/run-operation.js";
import { DOMParser } from "@xmldom/xmldom";
import { operationElement } from "../helpers/dom.js";
import { countRows, flat, INCIDENT, openTestStore, type TestStore } from "../helpers/table-fixture.js";

const TABLE_NS = "http://www.service-now.com/incident";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";
const LIMITS = { maxXmlDepth: 64, maxXmlElements: 100_000, maxAttributesPerElement: 64 };

const costReadOnly: ColumnAccess = { canRead: () => true, canWrite: (column) => column !== "cost" };

let t: TestStore;
before(async () => {
  t = await openTestStore();
});
after(async () => {
  await t.close();
});

/** White space as XML and JavaScript's trim see it, and a few characters trim keeps or removes that XML does not call white space. */
const blank = fc.constantFrom("", "", " ", "\n  ", "\t", "\r\n", "&#32;", "&#10;", "\u00a0", "&#160;", "\u3000", "\u2028", "\ufeff", "<![CDATA[ ]]>", "<![CDATA[]]>");
const separator = fc.oneof({ arbitrary: blank, weight: 12 }, { arbitrary: fc.constantFrom("<!--between-->", "z", " x ", "&#65;", "<![CDATA[z]]>"), weight: 1 });

const childXml = fc
  .record({
    name: fc.oneof(
      { arbitrary: fc.constantFrom("number", "short_description", "priority", "cost", "active", "opened_at"), weight: 12 },
      { arbitrary: fc.constantFrom("sys_id", "sys_created_by", "bogus", "Number", "record"), weight: 1 },
    ),
    namespace: fc.oneof(
      { arbitrary: fc.constant("none"), weight: 30 },
      { arbitrary: fc.constantFrom("table", "default-table", "undeclared"), weight: 6 },
      { arbitrary: fc.constantFrom("other", "default-other"), weight: 1 },
    ),
    content: fc.constantFrom(
      "A1",
      "A1",
      "7",
      "",
      "true",
      "A1",
      "ABCDEFGHIJKL",
      "",
      " 7 ",
      "7",
      "1.50",
      "x&amp;y",
      "a&#13;b",
      "a\r\nb",
      "true",
      "yes",
      "2024-02-29 10:00:00",
      "2024-02-30 10:00:00",
      "<x/>",
      "<t:x/>",
      "<!--c-->9",
      "9<!--c-->",
      "<![CDATA[<3]]>",
      "<![CDATA[]]>",
      "a<![CDATA[b]]>c",
      "\u00a0",
    ),
    nil: fc.oneof({ arbitrary: fc.constant(""), weight: 8 }, { arbitrary: fc.constantFrom(' xsi:nil="true"', ' xsi:nil="1"', ' xsi:nil="false"', ' o:nil="true"', ' nil="true"'), weight: 1 }),
  })
  .map(({ name, namespace, content, nil }) => {
    const qname = namespace === "table" ? `t:${name}` : namespace === "other" ? `o:${name}` : name;
    const declaration = namespace === "default-table" ? ` xmlns="${TABLE_NS}"` : namespace === "default-other" ? ' xmlns="urn:other"' : namespace === "undeclared" ? ' xmlns=""' : "";
    return `<${qname}${declaration}${nil}>${content}</${qname}>`;
  });

const recordInner = fc.array(fc.tuple(separator, childXml), { maxLength: 4 }).chain((children) =>
  separator.map((last) => children.map(([before, child]) => before + child).join("") + last),
);

const recordXml = fc
  .record({ name: fc.oneof({ arbitrary: fc.constantFrom("record", "t:record"), weight: 20 }, { arbitrary: fc.constantFrom("o:record", "Record"), weight: 1 }), inner: recordInner })
  .map(({ name, inner }) => `<${name}>${inner}</${name}>`);

const insertMultipleInner = fc.array(fc.tuple(blank, recordXml), { maxLength: 4 }).chain((records) =>
  separator.map((last) => records.map(([before, record]) => before + record).join("") + last),
);

function wrap(operation: string, inner: string): string {
  return `<${operation} xmlns:t="${TABLE_NS}" xmlns:o="urn:other" xmlns:xsi="${XSI}">${inner}</${operation}>`;
}

type Outcome = { kind: "fault"; id: string; message: string } | { kind: "stored"; items: unknown; rows: number };

/** The response with every sys_id replaced by one placeholder (they are random). */
function normalized(items: readonly ResponseItem[]): unknown {
  return items.map((item) => ("children" in item ? { name: item.name, children: normalized(item.children) } : item.name === "sys_id" ? { name: "sys_id", value: "*" } : item));
}

async function outcome(element: Element, access: ColumnAccess): Promise<Outcome> {
  const before = await countRows(t.store);
  try {
    const response: OperationResponse = await runOperation({
      table: INCIDENT,
      operation: element.localName ?? "",
      element,
      sessionUser: "partner.soap",
      store: t.store,
      access,
      clock: t.clock,
    });
    return { kind: "stored", items: normalized(response.items), rows: (await countRows(t.store)) - before };
  } catch (error) {
    if (!(error instanceof SoapFault)) throw error;
    assert.equal(await countRows(t.store), before, "a refused request writes nothing");
    return { kind: "fault", id: error.id, message: error.message };
  }
}

/** The operation element as the gateway's parser gives it (a tree read by index). */
function treeElement(xml: string): Element {
  const parsed = xmlParser.parse(Buffer.from(xml, "utf8"), LIMITS);
  if (parsed.kind !== "parsed") throw new Error(`generated XML refused: ${parsed.reason}`);
  assert.ok(isTreeDocument(parsed.document));
  const root = parsed.document.documentElement!;
  assert.ok(treePosition(root), "the gateway's tree is read by record index");
  return root;
}

async function assertSameOutcome(xml: string, access: ColumnAccess): Promise<void> {
  const byIndex = await outcome(treeElement(xml), access);
  const nodeElement = operationElement(xml) as unknown as Element;
  assert.equal(treePosition(nodeElement), undefined, "@xmldom is read through its nodes");
  const byNodes = await outcome(nodeElement, access);
  assert.deepEqual(byIndex, byNodes);
}

describe("the index reader of the request tree answers as the node reader", () => {
  for (const [label, access] of [
    ["every column writable", ALLOW_ALL_COLUMNS],
    ["cost not writable", costReadOnly],
  ] as const) {
    test(`insert of a generated record → the same fault or the same stored values (${label})`, async () => {
      await fc.assert(
        fc.asyncProperty(recordInner, async (inner) => assertSameOutcome(wrap("insert", inner), access)),
        { numRuns: 400 },
      );
    });

    test(`insertMultiple of generated records → the same fault ('Record N: …', nothing written) or the same records (${label})`, async () => {
      await fc.assert(
        fc.asyncProperty(insertMultipleInner, async (inner) => assertSameOutcome(wrap("insertMultiple", inner), access)),
        { numRuns: 400 },
      );
    });
  }

  test("the operation element in the table's namespace, records in it by a default declaration → stored by both readers alike", async () => {
    const xml =
      `<t:insertMultiple xmlns:t="${TABLE_NS}"><record xmlns="${TABLE_NS}"><number>N1</number><priority> 3 </priority></record>` +
      `<t:record><t:number>N2</t:number><active>1</active></t:record></t:insertMultiple>`;
    await assertSameOutcome(xml, ALLOW_ALL_COLUMNS);
    const stored = await outcome(treeElement(xml), ALLOW_ALL_COLUMNS);
    assert.equal(stored.kind, "stored");
    assert.equal((stored as { rows: number }).rows, 2);
  });

  test("each fault of a record, read by index, is the node reader's", async () => {
    const cases: [string, string][] = [
      [wrap("insertMultiple", ""), "insertMultiple needs at least one record"],
      [wrap("insertMultiple", "  <!--only a comment-->  "), "insertMultiple needs at least one record"],
      [wrap("insertMultiple", "<record/><other/>"), "insertMultiple accepts only record elements"],
      [wrap("insertMultiple", "<o:record/>"), "Element 'record' is in an unexpected namespace"],
      [wrap("insertMultiple", "<record/>stray"), "Unexpected text in 'insertMultiple'"],
      [wrap("insertMultiple", "<record><number>1</number>x</record>"), "Record 1: Unexpected text in 'record'"],
      [wrap("insertMultiple", "<record/><record><number><b/></number></record>"), "Record 2: Field 'number' must contain text only"],
      [wrap("insertMultiple", '<record><priority xsi:nil="true">4</priority></record>'), "Record 1: Field 'priority' is nil but has content"],
      [wrap("insertMultiple", "<record><number>1</number><t:number>2</t:number></record>"), "Record 1: Field 'number' is given more than once"],
      [wrap("insertMultiple", "<record><bogus/><bogus/></record>"), "Record 1: Field 'bogus' is given more than once"],
      [wrap("insertMultiple", "<record><bogus/></record>"), "Record 1: Unknown field 'bogus' for table incident"],
      [wrap("insertMultiple", "<record><sys_id>x</sys_id></record>"), "Record 1: Field 'sys_id' is a system field and cannot be set"],
      [wrap("insertMultiple", "<record><number>ABCDEFGHIJKL</number></record>"), "Record 1: Value for field 'number' is longer than 10 characters"],
      [wrap("insertMultiple", "<record>\u00a0x</record>"), "Record 1: Unexpected text in 'record'"],
    ];
    for (const [xml, message] of cases) {
      const byIndex = await outcome(treeElement(xml), ALLOW_ALL_COLUMNS);
      assert.deepEqual(byIndex.kind === "fault" ? byIndex.message : byIndex, message, xml);
      await assertSameOutcome(xml, ALLOW_ALL_COLUMNS);
    }
    const refused = await outcome(treeElement(wrap("insertMultiple", "<record><number>1</number><cost>2</cost></record>")), costReadOnly);
    assert.deepEqual(refused, { kind: "fault", id: "insufficientRights", message: "Insufficient rights to perform insertMultiple on incident" });
  });
});

describe("the batch grows as records are read", () => {
  test("records read beyond the room reserved (the batch doubles) → every value kept, in order, system columns set", () => {
    const xml = wrap("insertMultiple", Array.from({ length: 9 }, (_, index) => `<record><number>G${index}</number>${index % 2 === 0 ? `<priority>${index}</priority>` : ""}</record>`).join(""));
    const root = treeElement(xml);
    const position = treePosition(root)!;
    const reader = new RecordBatchReader({ operation: "insertMultiple", table: INCIDENT, access: ALLOW_ALL_COLUMNS });
    reader.reserve(1);
    for (let child = position.document.get(position.index, F_FIRST_CHILD); child !== NONE; child = position.document.get(child, F_NEXT)) reader.readAt(position.document, child);
    const batch = reader.finish(new Date("2024-03-01T10:00:00Z"), "partner.soap");
    assert.equal(batch.values.length, 9 * batch.columns.length);
    const column = (name: string) => batch.columns.indexOf(name);
    for (let record = 0; record < 9; record++) {
      const values = batch.values.slice(record * batch.columns.length, (record + 1) * batch.columns.length);
      assert.equal(values[column("number")], `G${record}`);
      assert.equal(values[column("priority")], record % 2 === 0 ? record : null);
      assert.equal(values[column("sys_created_by")], "partner.soap");
      assert.deepEqual(flat(reader.responseItems(record)).number, `G${record}`);
      assert.equal(flat(reader.responseItems(record)).priority, record % 2 === 0 ? String(record) : undefined);
    }
  });
});

describe("a finished request's batch arrays serve the next request (performOperation releases them)", () => {
  function insertMultipleXml(count: number, fields: (index: number) => string): string {
    return wrap("insertMultiple", Array.from({ length: count }, (_, index) => `<record>${fields(index)}</record>`).join(""));
  }

  async function perform(xml: string): Promise<{ name: string; children: Record<string, string> }[]> {
    const bytes = await performOperation({
      version: "1.1",
      table: INCIDENT,
      operation: "insertMultiple",
      element: treeElement(xml),
      sessionUser: "partner.soap",
      access: ALLOW_ALL_COLUMNS,
      store: t.store,
      clock: t.clock,
    });
    const document = new DOMParser().parseFromString(bytes.toString("utf8"), "text/xml");
    return [...document.getElementsByTagName("insertResponse")].map((record) => ({
      name: record.nodeName,
      children: Object.fromEntries([...record.childNodes].map((child) => [child.nodeName, child.textContent ?? ""])),
    }));
  }

  test("requests of 200, 150 (other columns) and 300 records in turn → each echoes and stores only its own values", async () => {
    await t.store.transaction((tx) => tx.delete(INCIDENT, { kind: "all" }));
    const first = await perform(insertMultipleXml(200, (index) => `<number>A${index}</number><short_description>first ${index}</short_description><cost>1.5</cost>`));
    assert.equal(first.length, 200);
    assert.deepEqual(Object.keys(first[199]!.children).sort(), ["cost", "number", "short_description", "sys_created_by", "sys_created_on", "sys_id", "sys_updated_by", "sys_updated_on"]);
    const second = await perform(insertMultipleXml(150, (index) => `<priority>${index}</priority>`));
    assert.equal(second.length, 150);
    for (const [index, record] of second.entries()) {
      assert.deepEqual(Object.keys(record.children).sort(), ["priority", "sys_created_by", "sys_created_on", "sys_id", "sys_updated_by", "sys_updated_on"], `record ${index}`);
      assert.equal(record.children.priority, String(index));
    }
    const stored = await t.store.transaction((tx) =>
      tx.select(INCIDENT, { filter: { kind: "compare", column: "priority", op: "=", value: 149 }, orderBy: [], offset: 0, limit: 2 }),
    );
    assert.deepEqual([stored.length, stored[0]!.get("number"), stored[0]!.get("short_description"), stored[0]!.get("cost")], [1, null, null, null]);
    const third = await perform(insertMultipleXml(300, (index) => `<number>C${index}</number>`));
    assert.deepEqual(third.map((record) => record.children.number), Array.from({ length: 300 }, (_, index) => `C${index}`));
    assert.equal(await countRows(t.store), 650);
  });

  test("a response read after its request ended → refused, never another request's values", async () => {
    const response = await runOperation({
      table: INCIDENT,
      operation: "insertMultiple",
      element: treeElement(insertMultipleXml(100, (index) => `<number>R${index}</number>`)),
      sessionUser: "partner.soap",
      store: t.store,
      access: ALLOW_ALL_COLUMNS,
      clock: t.clock,
    });
    response.release!();
    assert.throws(() => response.items, { message: "record batch used after its request ended" });
  });
});
