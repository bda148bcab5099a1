/**
 * The PostgreSQL store against a real server (WSS_TEST_POSTGRES_URL, started
 * by .ci/run): the same operations and query model as on SQLite, in a
 * throw-away database.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { openStore } from "../../src/store/open.js";
import { assertClientFault, countRows, flat, INCIDENT, openTestStore, records, tableDef, type TestStore } from "../helpers/table-fixture.js";
import { serverUrl } from "../helpers/servers.js";
import { batchSysId, INCIDENT_COLUMNS, incidentBatch } from "../helpers/record-batch.js";
import { POSTGRES_BATCH_PARAMETERS } from "../../src/store/postgres.js";

const server = serverUrl("WSS_TEST_POSTGRES_URL");
const databaseName = `wss_store_test_${process.pid}`;

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

describe("PostgreSQL store", { skip: "skip" in server ? server.skip : false }, () => {
  let admin: pg.Client;
  let url: string;
  let t: TestStore;

  before(async () => {
    if (!("url" in server)) return;
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
    url = databaseUrl(server.url, databaseName);
    t = await openTestStore([INCIDENT], url);
  });

  after(async () => {
    if (!("url" in server)) return;
    await t?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
    await admin.end();
  });

  test("insert, get and update round-trip every column type", async () => {
    const inserted = flat(
      (await t.run("<insert><number>PG1</number><priority>7</priority><cost>2.50</cost><active>1</active><opened_at>2024-05-01T12:00:00+02:00</opened_at></insert>")).items,
    );
    const sysId = inserted.sys_id!;
    await t.run(`<update><sys_id>${sysId}</sys_id><short_description>moved</short_description></update>`);
    const stored = flat((await t.run(`<get><sys_id>${sysId}</sys_id></get>`)).items);
    assert.deepEqual(
      [stored.number, stored.short_description, stored.priority, stored.cost, stored.active, stored.opened_at, stored.sys_created_by],
      ["PG1", "moved", "7", "2.5", "true", "2024-05-01 10:00:00", "partner.soap"],
    );
    await t.run(`<deleteRecord><sys_id>${sysId}</sys_id></deleteRecord>`);
  });

  describe("encoded queries behave as on SQLite", () => {
    before(async () => {
      await t.run(
        "<insertMultiple>" +
          "<record><number>Q1</number><short_description>50% Off_sale</short_description><priority>1</priority><active>true</active></record>" +
          "<record><number>Q2</number><short_description>5000 offsale</short_description><priority>2</priority><active>false</active></record>" +
          "<record><number>Q3</number><short_description></short_description></record>" +
          "</insertMultiple>",
      );
    });
    after(async () => {
      await t.run("<deleteMultiple><__encoded_query>numberSTARTSWITHQ</__encoded_query></deleteMultiple>");
    });

    const cases: [string, string[]][] = [
      ["short_descriptionLIKE0% off_", ["Q1"]],
      ["short_descriptionSTARTSWITH5_", []],
      ["short_descriptionENDSWITHSALE^ORDERBYnumber", ["Q1", "Q2"]],
      ["priority!=1^ORDERBYnumber", ["Q2", "Q3"]],
      ["short_descriptionISEMPTY", ["Q3"]],
      ["priorityIN1,2^ORDERBYDESCnumber", ["Q2", "Q1"]],
      ["active=false^ORpriorityISEMPTY^ORDERBYnumber", ["Q2", "Q3"]],
      ["ORDERBYpriority^numberSTARTSWITHQ", ["Q3", "Q1", "Q2"]],
      ["ORDERBYDESCpriority^numberSTARTSWITHQ", ["Q2", "Q1", "Q3"]],
      ["short_description=x'; DROP TABLE incident; --", []],
    ];
    for (const [query, expected] of cases) {
      test(`${query} → ${expected.join(", ") || "nothing"}`, async () => {
        const xml = `<getRecords><__encoded_query>${query.replaceAll("&", "&amp;").replaceAll("<", "&lt;")}</__encoded_query></getRecords>`;
        assert.deepEqual(records(await t.run(xml), "getRecordsResult").map((row) => row.number), expected);
      });
    }

    test("aggregate groups, empty group first", async () => {
      const response = await t.run("<aggregate><GROUP_BY>active</GROUP_BY><COUNT>*</COUNT><SUM>priority</SUM><AVG>priority</AVG><MAX>number</MAX></aggregate>");
      assert.deepEqual(records(response, "aggregateResult"), [
        { active: "", COUNT: "1", SUM: "", AVG: "", MAX: "Q3" },
        { active: "false", COUNT: "1", SUM: "2", AVG: "2", MAX: "Q2" },
        { active: "true", COUNT: "1", SUM: "1", AVG: "1", MAX: "Q1" },
      ]);
    });

    test("paging with getKeys", async () => {
      const keys = flat((await t.run("<getKeys><__order_by>number</__order_by><__first_row>1</__first_row><__limit>5</__limit></getKeys>")).items);
      assert.equal(keys.count, "2");
    });
  });

  test("insertMultiple is all or nothing when the server refuses a later record", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.number = 'BOOM' THEN RAISE EXCEPTION 'refused by trigger'; END IF; RETURN NEW; END $$`,
      );
      await client.query(`CREATE TRIGGER refuse_boom BEFORE INSERT ON incident FOR EACH ROW EXECUTE FUNCTION refuse_boom()`);
      const before = await countRows(t.store);
      await assert.rejects(
        t.run("<insertMultiple><record><number>M1</number></record><record><number>BOOM</number></record></insertMultiple>"),
        /refused by trigger/,
      );
      assert.equal(await countRows(t.store), before);
    } finally {
      await client.query("DROP TRIGGER IF EXISTS refuse_boom ON incident");
      await client.query("DROP FUNCTION IF EXISTS refuse_boom()");
      await client.end();
    }
  });

  test("a bad value is a client fault before anything reaches the server", async () => {
    await assertClientFault(t.run("<insert><priority>1e3</priority></insert>"), "Invalid integer value for field 'priority': '1e3'");
  });

  test("restart: a new column is added, a changed type is refused", async () => {
    const extended = tableDef("incident", [...INCIDENT.columns.values(), { name: "category", type: "string", maxLength: 40 }]);
    const store = await openStore(url);
    try {
      await store.ensureTables([extended]);
      await store.ensureTables([extended]);
      await assert.rejects(store.ensureTables([tableDef("incident", [{ name: "priority", type: "boolean", maxLength: undefined }])]), {
        message: "table incident: column priority is stored as BIGINT, but the configuration makes it boolean (BOOLEAN)",
      });
    } finally {
      await store.close();
    }
  });

  test("transactions on separate connections: an uncommitted insert is invisible to another request", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    const before = await countRows(t.store);
    const writer = t.store.transaction(async (tx) => {
      await tx.insert(INCIDENT, new Map([["sys_id", "e".repeat(32)], ["number", "TX"]]));
      inserted();
      await held;
      throw new Error("writer gives up");
    });
    await insertedSignal;
    assert.equal(await countRows(t.store), before);
    release();
    await assert.rejects(writer, { message: "writer gives up" });
    assert.equal(await countRows(t.store), before);
  });

  test("a write inside a read-only transaction is refused by the server and changes nothing", async () => {
    const before = await countRows(t.store);
    await assert.rejects(
      t.store.transaction((tx) => tx.insert(INCIDENT, new Map([["sys_id", "f".repeat(32)], ["number", "RO"]])), { readOnly: true }),
      (error: unknown) => (error as { code?: string }).code === "25006",
    );
    assert.equal(await countRows(t.store), before);
    assert.equal(await t.store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }), before);
  });

  describe("batches of records span several INSERT statements, in one transaction", () => {
    const perStatement = Math.floor(POSTGRES_BATCH_PARAMETERS / INCIDENT_COLUMNS.length);
    const count = 2 * perStatement + 5; // two full statements and a short last one
    const removeBatch = () => t.store.transaction((tx) => tx.delete(INCIDENT, { kind: "text", column: "number", match: "startsWith", text: "B" }));
    const countBatch = () => t.store.transaction((tx) => tx.count(INCIDENT, { kind: "text", column: "number", match: "startsWith", text: "B" }));
    after(async () => {
      await removeBatch();
    });

    test(`${count} records (statements of ${perStatement}) → every record stored once, with its values in their types`, async () => {
      await removeBatch();
      await t.store.transaction((tx) => tx.insertBatch(INCIDENT, incidentBatch(count)));
      assert.equal(await countBatch(), count);
      for (const index of [0, perStatement - 1, perStatement, count - 1]) {
        const [row] = await t.store.transaction((tx) =>
          tx.select(INCIDENT, { filter: { kind: "compare", column: "sys_id", op: "=", value: batchSysId(index) }, orderBy: [], offset: 0, limit: 1 }),
        );
        assert.deepEqual(
          ["number", "short_description", "priority", "cost", "active"].map((name) => row!.get(name)),
          [`B${index}`, index % 3 === 0 ? null : `d'"${index}\\`, index, index % 3 === 0 ? null : index / 4, index % 2 === 0],
        );
      }
    });

    test("the last record, in the last statement, repeats the first one's sys_id → the batch fails and none of its records remains", async () => {
      await removeBatch();
      await assert.rejects(
        t.store.transaction((tx) => tx.insertBatch(INCIDENT, incidentBatch(count, { lastRepeatsFirst: true }))),
        (error: unknown) => (error as { code?: string }).code === "23505",
      );
      assert.equal(await countBatch(), 0);
    });

    test("insertMultiple whose last record the server refuses (a trigger) → nothing of it written", async () => {
      await removeBatch();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(
          `CREATE FUNCTION refuse_last() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.number = 'BLAST' THEN RAISE EXCEPTION 'refused by trigger'; END IF; RETURN NEW; END $$`,
        );
        await client.query(`CREATE TRIGGER refuse_last BEFORE INSERT ON incident FOR EACH ROW EXECUTE FUNCTION refuse_last()`);
        const inner = Array.from({ length: count - 1 }, (_, index) => `<record><number>B${index}</number></record>`).join("");
        await assert.rejects(t.run(`<insertMultiple>${inner}<record><number>BLAST</number></record></insertMultiple>`), /refused by trigger/);
        assert.equal(await countBatch(), 0);
      } finally {
        await client.query("DROP TRIGGER IF EXISTS refuse_last ON incident");
        await client.query("DROP FUNCTION IF EXISTS refuse_last()");
        await client.end();
      }
    });
  });
});
