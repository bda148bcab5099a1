import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import Database from "better-sqlite3";
import { SoapFault } from "../../src/soap/faults.js";
import type { ColumnAccess } from "../../src/operations/index.js";
import { TABLE_OPERATIONS } from "../../src/operations/index.js";
import {
  assertClientFault,
  countRows,
  flat,
  INCIDENT,
  openTestStore,
  records,
  type TestStore,
} from "../helpers/table-fixture.js";

const SYS_ID = /^[0-9a-f]{32}$/;
const TABLE_NS = "http://www.service-now.com/incident";

let t: TestStore;
before(async () => {
  t = await openTestStore();
});
after(async () => {
  await t.close();
});
beforeEach(async () => {
  await t.store.transaction((tx) => tx.delete(INCIDENT, { kind: "all" }));
  t.clock.set("2024-03-01T10:00:00Z");
});

async function insert(fields: string): Promise<string> {
  const response = flat((await t.run(`<insert>${fields}</insert>`)).items);
  return response.sys_id!;
}

async function assertInsufficientRights(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SoapFault);
    assert.equal(error.id, "insufficientRights");
    assert.equal(error.message, message);
    return true;
  });
}

describe("operation names", () => {
  test("the nine SPEC §4 operations are published", () => {
    assert.deepEqual(
      [...TABLE_OPERATIONS].sort(),
      ["aggregate", "deleteMultiple", "deleteRecord", "get", "getKeys", "getRecords", "insert", "insertMultiple", "update"],
    );
  });

  test("an unknown operation → client fault naming it", async () => {
    await assertClientFault(t.run("<dropTable/>"), "Unknown operation 'dropTable'");
  });

  test("an operation name from Object.prototype is not an operation", async () => {
    await assertClientFault(t.run("<constructor/>"), "Unknown operation 'constructor'");
  });
});

describe("insert", () => {
  test("answers sys_id, the inserted columns and the system columns; sys_*_by is the session user", async () => {
    const response = await t.run(
      "<insert><number>INC001</number><priority>2</priority><active>1</active><cost>12.50</cost>" +
        "<opened_at>2024-02-29T23:30:00+02:00</opened_at></insert>",
      { user: "partner.soap" },
    );
    const items = flat(response.items);
    assert.match(items.sys_id!, SYS_ID);
    assert.deepEqual(
      response.items.map((item) => item.name),
      ["sys_id", "number", "priority", "cost", "active", "opened_at", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"],
    );
    assert.deepEqual(items, {
      sys_id: items.sys_id,
      number: "INC001",
      priority: "2",
      cost: "12.5",
      active: "true",
      opened_at: "2024-02-29 21:30:00",
      sys_created_on: "2024-03-01 10:00:00",
      sys_created_by: "partner.soap",
      sys_updated_on: "2024-03-01 10:00:00",
      sys_updated_by: "partner.soap",
    });
    const stored = flat((await t.run(`<get><sys_id>${items.sys_id}</sys_id></get>`)).items);
    assert.equal(stored.opened_at, "2024-02-29 21:30:00");
    assert.equal(stored.short_description, "");
  });

  test("every insert gets a fresh random sys_id", async () => {
    const first = await insert("<number>A</number>");
    const second = await insert("<number>A</number>");
    assert.notEqual(first, second);
    assert.equal(await countRows(t.store), 2);
  });

  test("sys_id = creation time in ms (12 hex digits) + 80 random bits: new keys append at the primary-key index's right edge", async () => {
    const timeHex = Date.parse("2024-03-01T10:00:00Z").toString(16).padStart(12, "0");
    const ids = records(await t.run(`<insertMultiple>${"<record><number>A</number></record>".repeat(50)}</insertMultiple>`), "insertResponse").map(
      (items) => items.sys_id!,
    );
    for (const id of ids) {
      assert.match(id, SYS_ID);
      assert.equal(id.slice(0, 12), timeHex);
    }
    assert.equal(new Set(ids.map((id) => id.slice(12))).size, 50, "every record draws its own random part");
    t.clock.set("2024-03-01T10:00:01Z");
    assert.ok((await insert("<number>B</number>")) > ids.reduce((max, id) => (id > max ? id : max)), "a later record sorts after every earlier one");
  });

  test("children in the table's namespace are accepted like unqualified ones", async () => {
    const response = await t.run(`<t:insert xmlns:t="${TABLE_NS}"><t:number>INC9</t:number><priority>4</priority></t:insert>`);
    assert.equal(flat(response.items).number, "INC9");
    assert.equal(flat(response.items).priority, "4");
  });

  test("a child in another namespace → client fault, nothing written", async () => {
    await assertClientFault(
      t.run(`<insert xmlns:x="http://evil.example/"><x:number>INC1</x:number></insert>`),
      "Element 'number' is in an unexpected namespace",
    );
    await assertClientFault(
      t.run(`<insert xmlns="http://www.service-now.com/problem"><number>INC1</number></insert>`),
      "Element 'number' is in an unexpected namespace",
    );
    assert.equal(await countRows(t.store), 0);
  });

  test("an unknown column → client fault naming it", async () => {
    await assertClientFault(t.run("<insert><caller>bob</caller></insert>"), "Unknown field 'caller' for table incident");
  });

  test("a very long unknown element name is echoed shortened", async () => {
    const name = `x${"a".repeat(300)}`;
    await assertClientFault(
      t.run(`<insert><${name}>1</${name}></insert>`),
      `Unknown field 'x${"a".repeat(59)}…' for table incident`,
    );
  });

  for (const column of ["sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"]) {
    test(`a client-supplied ${column} → client fault, nothing written`, async () => {
      await assertClientFault(
        t.run(`<insert><number>INC1</number><${column}>x</${column}></insert>`),
        `Field '${column}' is a system field and cannot be set`,
      );
      assert.equal(await countRows(t.store), 0);
    });
  }

  test("a repeated column → client fault", async () => {
    await assertClientFault(
      t.run("<insert><number>INC1</number><number>INC2</number></insert>"),
      "Field 'number' is given more than once",
    );
  });

  test("an element inside a column value → client fault", async () => {
    await assertClientFault(
      t.run("<insert><number><b>INC1</b></number></insert>"),
      "Field 'number' must contain text only",
    );
  });

  test("stray text between columns → client fault", async () => {
    await assertClientFault(t.run("<insert>oops<number>INC1</number></insert>"), "Unexpected text in 'insert'");
  });

  test("CDATA and comments inside a value: the text is kept, the comment ignored", async () => {
    const sysId = await insert("<short_description><![CDATA[a <b> & c]]><!-- note -->!</short_description>");
    const stored = flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items);
    assert.equal(stored.short_description, "a <b> & c!");
  });

  test("empty elements: '' for a string, empty (null) for other types; xsi:nil empties a string too", async () => {
    const sysId = await insert(
      '<number/><priority></priority><active> </active><opened_at/><short_description xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
    );
    const found = await t.run("<getKeys><priority/><active/><opened_at/><short_description/><number/></getKeys>");
    assert.deepEqual(flat(found.items), { sys_id: sysId, count: "1" });
    const stored = flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items);
    assert.equal(stored.priority, "");
    assert.equal(stored.active, "");
  });

  test("string values are kept verbatim, whitespace included", async () => {
    const sysId = await insert("<short_description>  two  spaces </short_description>");
    assert.equal(flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items).short_description, "  two  spaces ");
  });
});

describe("value types and lengths", () => {
  const rejected: [string, string, string][] = [
    ["number", "INC00000001", "Value for field 'number' is longer than 10 characters"],
    ["priority", "abc", "Invalid integer value for field 'priority': 'abc'"],
    ["priority", "1.5", "Invalid integer value for field 'priority': '1.5'"],
    ["priority", "9007199254740993", "Value for field 'priority' is out of range: '9007199254740993'"],
    ["cost", "12,5", "Invalid decimal value for field 'cost': '12,5'"],
    ["cost", "1e5", "Invalid decimal value for field 'cost': '1e5'"],
    ["cost", ".", "Invalid decimal value for field 'cost': '.'"],
    ["cost", "1234567890.1234567", "Value for field 'cost' has more than 15 significant digits"],
    ["active", "yes", "Invalid boolean value for field 'active': 'yes'"],
    ["active", "TRUE", "Invalid boolean value for field 'active': 'TRUE'"],
    ["opened_at", "2024-02-30 00:00:00", "Invalid datetime value for field 'opened_at': '2024-02-30 00:00:00'"],
    ["opened_at", "2023-02-29 00:00:00", "Invalid datetime value for field 'opened_at': '2023-02-29 00:00:00'"],
    ["opened_at", "2024-01-01 24:00:00", "Invalid datetime value for field 'opened_at': '2024-01-01 24:00:00'"],
    ["opened_at", "2024-01-01T10:00:00+24:00", "Invalid datetime value for field 'opened_at': '2024-01-01T10:00:00+24:00'"],
    ["opened_at", "01/02/2024", "Invalid datetime value for field 'opened_at': '01/02/2024'"],
    ["opened_at", "2024-01-01", "Invalid datetime value for field 'opened_at': '2024-01-01'"],
  ];
  for (const [column, value, message] of rejected) {
    test(`${column} = '${value}' → ${message}`, async () => {
      await assertClientFault(t.run(`<insert><${column}>${value}</${column}></insert>`), message);
      assert.equal(await countRows(t.store), 0);
    });
  }

  const accepted: [string, string, string][] = [
    ["number", "INC0000001", "INC0000001"],
    ["number", "ÄÖÜ€😀ÄÖÜ€😀", "ÄÖÜ€😀ÄÖÜ€😀"],
    ["priority", " -42 ", "-42"],
    ["priority", "+7", "7"],
    ["cost", "-0.5", "-0.5"],
    ["cost", "123456789012.345", "123456789012.345"],
    ["cost", "0.0000001", "0.0000001"],
    ["active", "0", "false"],
    ["active", "true", "true"],
    ["opened_at", "2024-02-29 23:59:59", "2024-02-29 23:59:59"],
    ["opened_at", "2024-01-01T00:30:00Z", "2024-01-01 00:30:00"],
    ["opened_at", "2024-01-01T00:30:00.999-01:30", "2024-01-01 02:00:00"],
    ["opened_at", "2024-01-01T00:30:00", "2024-01-01 00:30:00"],
  ];
  for (const [column, value, returned] of accepted) {
    test(`${column} = '${value}' is stored and returned as '${returned}'`, async () => {
      const sysId = await insert(`<${column}>${value}</${column}>`);
      assert.equal(flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items)[column], returned);
    });
  }

  test("max_length counts characters, not UTF-16 units or bytes (10 emoji fit in 10)", async () => {
    await insert(`<number>${"😀".repeat(10)}</number>`);
    await assertClientFault(
      t.run(`<insert><number>${"😀".repeat(11)}</number></insert>`),
      "Value for field 'number' is longer than 10 characters",
    );
  });

  test("a long bad value is echoed at most 60 characters, control characters replaced", async () => {
    await assertClientFault(
      t.run(`<insert><priority>&#x9;x${"9".repeat(200)}</priority></insert>`),
      `Invalid integer value for field 'priority': 'x${"9".repeat(59)}…'`,
    );
  });
});

describe("SQL injection", () => {
  const payloads = ["'); DROP TABLE incident; --", "\" OR 1=1 --", "x' OR 'a'='a", "%", "_", "\\"];
  for (const payload of payloads) {
    test(`the value ${JSON.stringify(payload)} is stored and matched literally`, async () => {
      const escaped = payload.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
      await insert(`<short_description>${escaped}</short_description>`);
      await insert("<short_description>other</short_description>");
      const found = records(await t.run(`<getRecords><short_description>${escaped}</short_description></getRecords>`), "getRecordsResult");
      assert.deepEqual(found.map((row) => row.short_description), [payload]);
      assert.equal(await countRows(t.store), 2);
    });
  }
});

describe("insertMultiple", () => {
  test("inserts every record and answers one insertResponse per record, in order", async () => {
    const response = await t.run(
      "<insertMultiple><record><number>A1</number><priority>1</priority></record><record><number>A2</number></record></insertMultiple>",
    );
    const results = records(response, "insertResponse");
    assert.deepEqual(results.map((row) => row.number), ["A1", "A2"]);
    assert.equal(results[0]!.priority, "1");
    for (const row of results) assert.match(row.sys_id!, SYS_ID);
    assert.equal(await countRows(t.store), 2);
  });

  test("one bad record → client fault naming the record, and nothing is written", async () => {
    await assertClientFault(
      t.run(
        "<insertMultiple><record><number>A1</number></record><record><priority>high</priority></record><record><number>A3</number></record></insertMultiple>",
      ),
      "Record 2: Invalid integer value for field 'priority': 'high'",
    );
    assert.equal(await countRows(t.store), 0);
  });

  test("a store failure on a later record rolls back the earlier ones", async () => {
    // Another process's trigger makes the store itself refuse the third record, after two were inserted.
    const db = new Database(t.path);
    db.exec(`CREATE TRIGGER refuse_boom BEFORE INSERT ON "incident" WHEN NEW."number" = 'BOOM' BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END`);
    try {
      await assert.rejects(
        t.run("<insertMultiple><record><number>A1</number></record><record><number>A2</number></record><record><number>BOOM</number></record></insertMultiple>"),
        /refused by trigger/,
      );
      assert.equal(await countRows(t.store), 0);
    } finally {
      db.exec("DROP TRIGGER refuse_boom");
      db.close();
    }
  });

  test("anything but record children → client fault", async () => {
    await assertClientFault(
      t.run("<insertMultiple><record><number>A1</number></record><number>A2</number></insertMultiple>"),
      "insertMultiple accepts only record elements",
    );
    assert.equal(await countRows(t.store), 0);
  });

  test("no record → client fault", async () => {
    await assertClientFault(t.run("<insertMultiple/>"), "insertMultiple needs at least one record");
  });
});

describe("get", () => {
  test("answers every readable column, system columns included", async () => {
    const sysId = await insert("<number>INC1</number><priority>3</priority>");
    const response = await t.run(`<get><sys_id>${sysId}</sys_id></get>`);
    assert.deepEqual(response.items.map((item) => item.name), [
      "sys_id", "number", "short_description", "priority", "cost", "active", "opened_at",
      "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by",
    ]);
    assert.deepEqual(flat(response.items), {
      sys_id: sysId, number: "INC1", short_description: "", priority: "3", cost: "", active: "", opened_at: "",
      sys_created_on: "2024-03-01 10:00:00", sys_created_by: "partner.soap",
      sys_updated_on: "2024-03-01 10:00:00", sys_updated_by: "partner.soap",
    });
  });

  test("an unknown sys_id answers an empty getResponse", async () => {
    const response = await t.run(`<get><sys_id>${"0".repeat(32)}</sys_id></get>`);
    assert.deepEqual(response.items, []);
  });

  test("a missing sys_id → client fault", async () => {
    await assertClientFault(t.run("<get/>"), "Missing sys_id");
  });

  test("a malformed sys_id → client fault", async () => {
    await assertClientFault(
      t.run("<get><sys_id>' OR 1=1 --</sys_id></get>"),
      "Invalid sys_id '' OR 1=1 --': expected 32 lowercase hexadecimal characters",
    );
  });

  test("a column filter next to sys_id → client fault", async () => {
    await assertClientFault(
      t.run(`<get><sys_id>${"0".repeat(32)}</sys_id><number>INC1</number></get>`),
      "Field 'number' is not accepted by get",
    );
  });
});

describe("getRecords", () => {
  beforeEach(async () => {
    await t.run(
      "<insertMultiple>" +
        ["E", "C", "A", "D", "B"]
          .map((n, i) => `<record><number>${n}</number><priority>${(i % 2) + 1}</priority><active>${i % 2 === 0}</active></record>`)
          .join("") +
        "</insertMultiple>",
    );
  });

  async function numbers(filters: string): Promise<string[]> {
    return records(await t.run(`<getRecords>${filters}</getRecords>`), "getRecordsResult").map((row) => row.number!);
  }

  test("column elements are equality filters, ANDed", async () => {
    assert.deepEqual(await numbers("<priority>1</priority><__order_by>number</__order_by>"), ["A", "B", "E"]);
    assert.deepEqual(await numbers("<priority>1</priority><active>true</active><__order_by>number</__order_by>"), ["A", "B", "E"]);
    assert.deepEqual(await numbers("<priority>2</priority><active>true</active>"), []);
    assert.deepEqual(await numbers("<sys_created_by>partner.soap</sys_created_by><__order_by>number</__order_by>"), ["A", "B", "C", "D", "E"]);
  });

  test("each result is a getRecordsResult with every readable column", async () => {
    const [first] = records(await t.run("<getRecords><number>A</number></getRecords>"), "getRecordsResult");
    assert.deepEqual(Object.keys(first!), [
      "sys_id", "number", "short_description", "priority", "cost", "active", "opened_at",
      "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by",
    ]);
  });

  test("__order_by and __order_by_desc (comma lists allowed)", async () => {
    assert.deepEqual(await numbers("<__order_by>number</__order_by>"), ["A", "B", "C", "D", "E"]);
    assert.deepEqual(await numbers("<__order_by_desc>number</__order_by_desc>"), ["E", "D", "C", "B", "A"]);
    assert.deepEqual(await numbers("<__order_by>priority, number</__order_by>"), ["A", "B", "E", "C", "D"]);
    assert.deepEqual(await numbers("<__order_by>priority</__order_by><__order_by_desc>number</__order_by_desc>"), ["E", "B", "A", "D", "C"]);
  });

  test("__first_row is inclusive and 0-based, __last_row exclusive", async () => {
    assert.deepEqual(await numbers("<__order_by>number</__order_by><__first_row>1</__first_row><__last_row>3</__last_row>"), ["B", "C"]);
    assert.deepEqual(await numbers("<__order_by>number</__order_by><__first_row>3</__first_row>"), ["D", "E"]);
    assert.deepEqual(await numbers("<__order_by>number</__order_by><__first_row>2</__first_row><__last_row>2</__last_row>"), []);
  });

  test("__limit caps the rows, also inside a window", async () => {
    assert.deepEqual(await numbers("<__order_by>number</__order_by><__limit>2</__limit>"), ["A", "B"]);
    assert.deepEqual(await numbers("<__order_by>number</__order_by><__first_row>1</__first_row><__last_row>4</__last_row><__limit>2</__limit>"), ["B", "C"]);
    assert.deepEqual(await numbers("<__limit>0</__limit>"), []);
  });

  test("an empty filter element matches records whose column is empty", async () => {
    await insert("<priority>9</priority>");
    const found = records(await t.run("<getRecords><number/></getRecords>"), "getRecordsResult");
    assert.deepEqual(found.map((row) => row.priority), ["9"]);
  });

  test("without __limit or __last_row at most 250 records are answered", async () => {
    await t.run(`<insertMultiple>${"<record><priority>7</priority></record>".repeat(260)}</insertMultiple>`);
    assert.equal((await t.run("<getRecords><priority>7</priority></getRecords>")).items.length, 250);
    assert.equal((await t.run("<getRecords><priority>7</priority><__limit>300</__limit></getRecords>")).items.length, 260);
  });

  const badControls: [string, string][] = [
    ["<__limit>-1</__limit>", "Invalid __limit '-1': expected a whole number"],
    ["<__limit>ten</__limit>", "Invalid __limit 'ten': expected a whole number"],
    ["<__limit>10001</__limit>", "__limit must be at most 10000"],
    ["<__first_row>1.5</__first_row>", "Invalid __first_row '1.5': expected a whole number"],
    ["<__first_row>3</__first_row><__last_row>2</__last_row>", "__last_row must not be less than __first_row"],
    ["<__first_row>0</__first_row><__last_row>10001</__last_row>", "__last_row - __first_row must be at most 10000"],
    ["<__order_by>nope</__order_by>", "Unknown field 'nope' in __order_by"],
    ["<__order_by_desc>number;drop</__order_by_desc>", "Unknown field 'number;drop' in __order_by_desc"],
    ["<__use_view>x</__use_view>", "Unknown field '__use_view' for table incident"],
    ["<caller>bob</caller>", "Unknown field 'caller' for table incident"],
    ["<priority>high</priority>", "Invalid integer value for field 'priority': 'high'"],
    ["<number>INC00000001</number>", "Value for field 'number' is longer than 10 characters"],
    ["<__limit>1</__limit><__limit>2</__limit>", "Field '__limit' is given more than once"],
  ];
  for (const [filters, message] of badControls) {
    test(`${filters} → ${message}`, async () => {
      await assertClientFault(t.run(`<getRecords>${filters}</getRecords>`), message);
    });
  }
});

describe("getKeys", () => {
  test("answers the matching sys_ids comma-separated, and their count", async () => {
    const a = await insert("<number>A</number><priority>1</priority>");
    const b = await insert("<number>B</number><priority>1</priority>");
    await insert("<number>C</number><priority>2</priority>");
    const response = await t.run("<getKeys><priority>1</priority><__order_by>number</__order_by></getKeys>");
    assert.deepEqual(response.items, [
      { name: "sys_id", value: `${a},${b}` },
      { name: "count", value: "2" },
    ]);
  });

  test("no match answers an empty sys_id and count 0", async () => {
    assert.deepEqual((await t.run("<getKeys><priority>5</priority></getKeys>")).items, [
      { name: "sys_id", value: "" },
      { name: "count", value: "0" },
    ]);
  });

  test("paging applies to keys as to records", async () => {
    await t.run(`<insertMultiple>${"<record><priority>1</priority></record>".repeat(5)}</insertMultiple>`);
    assert.equal(flat((await t.run("<getKeys><__first_row>1</__first_row><__last_row>4</__last_row></getKeys>")).items).count, "3");
  });
});

describe("update", () => {
  test("sets the given columns and sys_updated_on/by, keeps the rest", async () => {
    const sysId = await insert("<number>INC1</number><priority>1</priority><active>true</active>");
    t.clock.set("2024-03-02T11:00:00Z");
    const response = await t.run(`<update><sys_id>${sysId}</sys_id><priority>4</priority><active/></update>`, { user: "other.user" });
    assert.deepEqual(response.items, [{ name: "sys_id", value: sysId }]);
    const stored = flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items);
    assert.equal(stored.number, "INC1");
    assert.equal(stored.priority, "4");
    assert.equal(stored.active, "");
    assert.equal(stored.sys_created_on, "2024-03-01 10:00:00");
    assert.equal(stored.sys_created_by, "partner.soap");
    assert.equal(stored.sys_updated_on, "2024-03-02 11:00:00");
    assert.equal(stored.sys_updated_by, "other.user");
  });

  test("an unknown sys_id → client fault, nothing written", async () => {
    const missing = "f".repeat(32);
    await assertClientFault(
      t.run(`<update><sys_id>${missing}</sys_id><priority>4</priority></update>`),
      `No record with sys_id '${missing}' in table incident`,
    );
    assert.equal(await countRows(t.store), 0);
  });

  test("a missing sys_id → client fault", async () => {
    await assertClientFault(t.run("<update><priority>4</priority></update>"), "Missing sys_id");
  });

  test("setting a system column → client fault, record unchanged", async () => {
    const sysId = await insert("<number>INC1</number>");
    await assertClientFault(
      t.run(`<update><sys_id>${sysId}</sys_id><number>X</number><sys_created_by>admin</sys_created_by></update>`),
      "Field 'sys_created_by' is a system field and cannot be set",
    );
    assert.equal(flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items).number, "INC1");
  });

  test("a bad value → client fault, record unchanged", async () => {
    const sysId = await insert("<priority>1</priority>");
    await assertClientFault(
      t.run(`<update><sys_id>${sysId}</sys_id><priority>2</priority><cost>abc</cost></update>`),
      "Invalid decimal value for field 'cost': 'abc'",
    );
    assert.equal(flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items).priority, "1");
  });
});

describe("deleteRecord", () => {
  test("answers count 1 when the record existed, then 0", async () => {
    const sysId = await insert("<number>INC1</number>");
    await insert("<number>INC2</number>");
    assert.deepEqual((await t.run(`<deleteRecord><sys_id>${sysId}</sys_id></deleteRecord>`)).items, [{ name: "count", value: "1" }]);
    assert.deepEqual((await t.run(`<deleteRecord><sys_id>${sysId}</sys_id></deleteRecord>`)).items, [{ name: "count", value: "0" }]);
    assert.equal(await countRows(t.store), 1);
  });

  test("a malformed sys_id → client fault, nothing deleted", async () => {
    await insert("<number>INC1</number>");
    await assertClientFault(
      t.run("<deleteRecord><sys_id>%</sys_id></deleteRecord>"),
      "Invalid sys_id '%': expected 32 lowercase hexadecimal characters",
    );
    assert.equal(await countRows(t.store), 1);
  });
});

describe("deleteMultiple", () => {
  test("deletes every record matching the filters and answers the count", async () => {
    await t.run(
      "<insertMultiple><record><priority>1</priority></record><record><priority>1</priority></record><record><priority>2</priority></record></insertMultiple>",
    );
    assert.deepEqual((await t.run("<deleteMultiple><priority>1</priority></deleteMultiple>")).items, [{ name: "count", value: "2" }]);
    assert.equal(await countRows(t.store), 1);
    assert.deepEqual(
      (await t.run("<deleteMultiple><__encoded_query>priority>=2</__encoded_query></deleteMultiple>")).items,
      [{ name: "count", value: "1" }],
    );
    assert.equal(await countRows(t.store), 0);
  });

  test("without a filter → client fault, nothing deleted (an ORDERBY alone is no filter)", async () => {
    await insert("<priority>1</priority>");
    await assertClientFault(t.run("<deleteMultiple/>"), "deleteMultiple needs at least one filter");
    await assertClientFault(
      t.run("<deleteMultiple><__encoded_query>ORDERBYnumber</__encoded_query></deleteMultiple>"),
      "deleteMultiple needs at least one filter",
    );
    assert.equal(await countRows(t.store), 1);
  });

  test("paging controls are refused", async () => {
    await assertClientFault(
      t.run("<deleteMultiple><priority>1</priority><__limit>1</__limit></deleteMultiple>"),
      "Field '__limit' is not accepted by deleteMultiple",
    );
  });
});

describe("aggregate", () => {
  beforeEach(async () => {
    await t.run(
      "<insertMultiple>" +
        "<record><number>A</number><short_description>net</short_description><priority>1</priority><cost>10.5</cost><opened_at>2024-01-05 00:00:00</opened_at></record>" +
        "<record><number>B</number><short_description>net</short_description><priority>3</priority><cost>0.25</cost><opened_at>2024-01-01 00:00:00</opened_at></record>" +
        "<record><number>C</number><short_description>db</short_description><priority>2</priority></record>" +
        "<record><number>D</number><priority>4</priority></record>" +
        "</insertMultiple>",
    );
  });

  test("without GROUP_BY: one aggregateResult with the functions in COUNT, SUM, AVG, MIN, MAX order", async () => {
    const response = await t.run(
      "<aggregate><MAX>opened_at</MAX><SUM>priority</SUM><COUNT>*</COUNT><AVG>cost</AVG><MIN>priority</MIN></aggregate>",
    );
    assert.deepEqual(response.items, [
      {
        name: "aggregateResult",
        children: [
          { name: "COUNT", value: "4" },
          { name: "SUM", value: "10" },
          { name: "AVG", value: "5.375" },
          { name: "MIN", value: "1" },
          { name: "MAX", value: "2024-01-05 00:00:00" },
        ],
      },
    ]);
  });

  test("COUNT of a column counts its non-empty values; an empty COUNT counts records", async () => {
    assert.deepEqual(records(await t.run("<aggregate><COUNT>cost</COUNT></aggregate>"), "aggregateResult"), [{ COUNT: "2" }]);
    assert.deepEqual(records(await t.run("<aggregate><COUNT/></aggregate>"), "aggregateResult"), [{ COUNT: "4" }]);
  });

  test("GROUP_BY: one aggregateResult per group, group column first, groups ascending with empty first", async () => {
    const response = await t.run("<aggregate><GROUP_BY>short_description</GROUP_BY><COUNT>*</COUNT><SUM>priority</SUM></aggregate>");
    assert.deepEqual(records(response, "aggregateResult"), [
      { short_description: "", COUNT: "1", SUM: "4" },
      { short_description: "db", COUNT: "1", SUM: "2" },
      { short_description: "net", COUNT: "2", SUM: "4" },
    ]);
    const first = response.items[0]!;
    assert.ok("children" in first);
    assert.deepEqual(first.children.map((child) => child.name), ["short_description", "COUNT", "SUM"]);
  });

  test("filters and encoded queries narrow the aggregated records", async () => {
    assert.deepEqual(
      records(await t.run("<aggregate><COUNT>*</COUNT><short_description>net</short_description></aggregate>"), "aggregateResult"),
      [{ COUNT: "2" }],
    );
    assert.deepEqual(
      records(await t.run("<aggregate><SUM>priority</SUM><__encoded_query>priority&gt;1^priority&lt;4</__encoded_query></aggregate>"), "aggregateResult"),
      [{ SUM: "5" }],
    );
  });

  test("no matching record: COUNT 0 and empty values", async () => {
    assert.deepEqual(
      records(await t.run("<aggregate><COUNT>*</COUNT><AVG>priority</AVG><priority>99</priority></aggregate>"), "aggregateResult"),
      [{ COUNT: "0", AVG: "" }],
    );
  });

  const bad: [string, string][] = [
    ["<aggregate><priority>1</priority></aggregate>", "aggregate needs at least one of COUNT, SUM, AVG, MIN, MAX"],
    ["<aggregate><SUM>number</SUM></aggregate>", "SUM needs an integer or decimal field; 'number' is string"],
    ["<aggregate><AVG>opened_at</AVG></aggregate>", "AVG needs an integer or decimal field; 'opened_at' is datetime"],
    ["<aggregate><MAX>active</MAX></aggregate>", "MAX cannot be applied to boolean field 'active'"],
    ["<aggregate><SUM>nope</SUM></aggregate>", "Unknown field 'nope' in SUM"],
    ["<aggregate><SUM/></aggregate>", "SUM needs a field name"],
    ["<aggregate><COUNT>*</COUNT><GROUP_BY>priority) --</GROUP_BY></aggregate>", "Unknown field 'priority) --' in GROUP_BY"],
    ["<aggregate><SUM>priority</SUM><SUM>cost</SUM></aggregate>", "Field 'SUM' is given more than once"],
    ["<aggregate><COUNT>*</COUNT><__limit>1</__limit></aggregate>", "Field '__limit' is not accepted by aggregate"],
  ];
  for (const [xml, message] of bad) {
    test(`${xml} → ${message}`, async () => {
      await assertClientFault(t.run(xml), message);
    });
  }
});

describe("field-level access", () => {
  const costHidden: ColumnAccess = {
    canRead: (column) => column !== "cost" && column !== "sys_created_by",
    canWrite: (column) => column !== "cost",
  };
  const nothingReadable: ColumnAccess = { canRead: () => false, canWrite: () => true };

  test("unreadable columns are left out of get, getRecords and insert responses", async () => {
    const inserted = await t.run("<insert><number>INC1</number><priority>2</priority></insert>", { access: costHidden });
    assert.equal(inserted.items.some((item) => item.name === "sys_created_by"), false);
    const sysId = flat(inserted.items).sys_id!;
    await t.run(`<update><sys_id>${sysId}</sys_id><cost>5</cost></update>`);
    const got = flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`, { access: costHidden })).items);
    assert.equal("cost" in got, false);
    assert.equal("sys_created_by" in got, false);
    assert.equal(got.number, "INC1");
    const [row] = records(await t.run("<getRecords/>", { access: costHidden }), "getRecordsResult");
    assert.equal("cost" in row!, false);
  });

  test("sys_id stays readable: it is the record's identity", async () => {
    const sysId = await insert("<number>INC1</number>");
    assert.deepEqual(flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`, { access: nothingReadable })).items), { sys_id: sysId });
  });

  const probes: [string, string][] = [
    ["<getRecords><cost>5</cost></getRecords>", "Field 'cost' is not readable"],
    ["<getRecords><__encoded_query>cost>4</__encoded_query></getRecords>", "Field 'cost' is not readable"],
    ["<getRecords><__encoded_query>number=A^ORcostISEMPTY</__encoded_query></getRecords>", "Field 'cost' is not readable"],
    ["<getRecords><__encoded_query>ORDERBYcost</__encoded_query></getRecords>", "Field 'cost' is not readable"],
    ["<getRecords><__order_by>cost</__order_by></getRecords>", "Field 'cost' is not readable"],
    ["<getKeys><__order_by_desc>cost</__order_by_desc></getKeys>", "Field 'cost' is not readable"],
    ["<deleteMultiple><cost>5</cost></deleteMultiple>", "Field 'cost' is not readable"],
    ["<aggregate><SUM>cost</SUM></aggregate>", "Field 'cost' is not readable"],
    ["<aggregate><COUNT>cost</COUNT></aggregate>", "Field 'cost' is not readable"],
    ["<aggregate><COUNT>*</COUNT><GROUP_BY>cost</GROUP_BY></aggregate>", "Field 'cost' is not readable"],
    ["<getRecords><sys_created_by>partner.soap</sys_created_by></getRecords>", "Field 'sys_created_by' is not readable"],
  ];
  for (const [xml, message] of probes) {
    test(`querying an unreadable column is refused: ${xml}`, async () => {
      await insert("<number>A</number><cost>5</cost>");
      await assertClientFault(t.run(xml, { access: costHidden }), message);
      assert.equal(await countRows(t.store), 1);
    });
  }

  test("insert setting a non-writable column → insufficientRights, nothing written", async () => {
    await assertInsufficientRights(
      t.run("<insert><number>INC1</number><cost>5</cost></insert>", { access: costHidden }),
      "Insufficient rights to perform insert on incident",
    );
    assert.equal(await countRows(t.store), 0);
  });

  test("insertMultiple with one record setting a non-writable column → insufficientRights, nothing written", async () => {
    await assertInsufficientRights(
      t.run("<insertMultiple><record><number>A</number></record><record><cost>1</cost></record></insertMultiple>", { access: costHidden }),
      "Insufficient rights to perform insertMultiple on incident",
    );
    assert.equal(await countRows(t.store), 0);
  });

  test("update setting a non-writable column → insufficientRights, record unchanged", async () => {
    const sysId = await insert("<number>INC1</number><cost>1</cost>");
    await assertInsufficientRights(
      t.run(`<update><sys_id>${sysId}</sys_id><number>INC2</number><cost>2</cost></update>`, { access: costHidden }),
      "Insufficient rights to perform update on incident",
    );
    const stored = flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items);
    assert.equal(stored.number, "INC1");
    assert.equal(stored.cost, "1");
  });

  test("columns that are not set need no write access", async () => {
    const response = await t.run("<insert><number>INC1</number></insert>", { access: costHidden });
    assert.equal(flat(response.items).number, "INC1");
  });
});
