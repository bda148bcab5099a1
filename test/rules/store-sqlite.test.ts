import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { openStore } from "../../src/store/open.js";
import { selectSql } from "../../src/store/sql.js";
import { SqliteStore, sqliteDialect } from "../../src/store/sqlite.js";
import type { Row, Store, StoreTransaction } from "../../src/store/types.js";
import { INCIDENT, tableDef } from "../helpers/table-fixture.js";
import { batchSysId, incidentBatch } from "../helpers/record-batch.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "wss-gateway-sqlite-"));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
function freshPath(): string {
  fileCounter += 1;
  return join(dir, `nested-${fileCounter}`, "deeper", "gateway.db");
}

function sysId(n: number): string {
  return n.toString(16).padStart(32, "0");
}

function record(n: number, values: Record<string, string | number | boolean | null> = {}): Row {
  return new Map<string, string | number | boolean | null>([
    ["sys_id", sysId(n)],
    ["sys_created_on", "2024-01-01 00:00:00"],
    ["sys_created_by", "tester"],
    ["sys_updated_on", "2024-01-01 00:00:00"],
    ["sys_updated_by", "tester"],
    ...Object.entries(values),
  ]);
}

async function withStore<T>(path: string, fn: (store: Store) => Promise<T>, tables = [INCIDENT]): Promise<T> {
  const store = await openStore(`sqlite:${path}`);
  try {
    await store.ensureTables(tables);
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe("openStore", () => {
  test("sqlite:PATH creates the parent directory and the database file, in WAL mode", async () => {
    const path = freshPath();
    await withStore(path, async (store) => store.ping());
    assert.ok(existsSync(path));
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      db.close();
    }
  });

  test("the table has the system columns, sys_id as primary key, and the configured columns", async () => {
    const path = freshPath();
    await withStore(path, async () => undefined);
    const db = new Database(path, { readonly: true });
    try {
      const columns = db.prepare('PRAGMA table_info("incident")').all() as { name: string; type: string; pk: number }[];
      assert.deepEqual(
        columns.map((column) => `${column.name}:${column.type}${column.pk ? ":pk" : ""}`),
        [
          "number:TEXT", "short_description:TEXT", "priority:INTEGER", "cost:REAL", "active:INTEGER", "opened_at:TEXT",
          "sys_id:TEXT:pk", "sys_created_on:TEXT", "sys_created_by:TEXT", "sys_updated_on:TEXT", "sys_updated_by:TEXT",
        ],
      );
    } finally {
      db.close();
    }
  });

  test("an unsupported URL is refused", async () => {
    await assert.rejects(openStore("mysql://localhost/db"), { message: "unsupported store URL: use sqlite:PATH or postgres://…" });
    await assert.rejects(openStore("sqlite:"), { message: "store URL sqlite: needs a file path" });
  });

  test("durability: sqlite:PATH commits with synchronous=FULL (an acknowledged write survives a power loss)", async () => {
    const store = await openStore(`sqlite:${freshPath()}`);
    try {
      assert.ok(store instanceof SqliteStore);
      assert.equal(store.synchronousMode(), "full");
    } finally {
      await store.close();
    }
  });

  test("durability: the store URL may ask for synchronous=normal (or extra), and nothing else", async () => {
    for (const [query, mode] of [["?synchronous=normal", "normal"], ["?synchronous=EXTRA", "extra"], ["?synchronous=full", "full"]] as const) {
      const path = freshPath();
      const store = await openStore(`sqlite:${path}${query}`);
      try {
        assert.ok(store instanceof SqliteStore);
        assert.equal(store.synchronousMode(), mode);
        assert.ok(existsSync(path), "the query string is not part of the file name");
      } finally {
        await store.close();
      }
    }
    await assert.rejects(openStore(`sqlite:${freshPath()}?synchronous=off`), /synchronous must be one of full, normal, extra, got off/);
    await assert.rejects(openStore(`sqlite:${freshPath()}?journal=delete`), /unknown parameter journal \(expected synchronous\)/);
  });

  test("after close the store refuses work", async () => {
    const store = await openStore(`sqlite:${freshPath()}`);
    await store.close();
    await assert.rejects(store.ping(), { message: "store is closed" });
  });
});

describe("schema on restart", () => {
  test("a column added to the configuration is added to the existing table; rows are kept", async () => {
    const path = freshPath();
    await withStore(path, (store) => store.transaction((tx) => tx.insert(INCIDENT, record(1, { number: "INC1" }))));
    const extended = tableDef("incident", [...INCIDENT.columns.values(), { name: "category", type: "string", maxLength: 40 }]);
    await withStore(
      path,
      async (store) => {
        await store.transaction((tx) => tx.insert(extended, record(2, { number: "INC2", category: "network" })));
        const rows = await store.transaction((tx) => tx.select(extended, { filter: { kind: "all" }, orderBy: [], offset: 0, limit: 10 }));
        assert.deepEqual(rows.map((row) => [row.get("number"), row.get("category")]), [["INC1", null], ["INC2", "network"]]);
      },
      [extended],
    );
  });

  test("a column whose configured type changed is refused, naming both types", async () => {
    const path = freshPath();
    await withStore(path, async () => undefined);
    const changed = tableDef("incident", [{ name: "priority", type: "string", maxLength: undefined }]);
    const store = await openStore(`sqlite:${path}`);
    try {
      await assert.rejects(store.ensureTables([changed]), {
        message: "table incident: column priority is stored as INTEGER, but the configuration makes it string (TEXT)",
      });
    } finally {
      await store.close();
    }
  });
});

describe("transactions", () => {
  let store: Store;
  before(async () => {
    store = await openStore(`sqlite:${freshPath()}`);
    await store.ensureTables([INCIDENT]);
  });
  after(async () => {
    await store.close();
  });
  const countAll = () => store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }));
  const clear = () => store.transaction((tx) => tx.delete(INCIDENT, { kind: "all" }));

  test("a throwing transaction is rolled back: nothing it wrote remains", async () => {
    await clear();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.insert(INCIDENT, record(1));
        await tx.insert(INCIDENT, record(2));
        throw new Error("boom");
      }),
      { message: "boom" },
    );
    assert.equal(await countAll(), 0);
  });

  test("a transaction object cannot be used after its transaction ended", async () => {
    let leaked: StoreTransaction | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
    });
    await assert.rejects(leaked!.count(INCIDENT, { kind: "all" }), { message: "transaction has ended" });
  });

  test("concurrent transactions do not interleave on the one connection", async () => {
    await clear();
    const events: string[] = [];
    const slow = store.transaction(async (tx) => {
      events.push("A begins");
      await tx.insert(INCIDENT, record(10));
      await new Promise((resolve) => setTimeout(resolve, 30));
      events.push(`A sees ${await tx.count(INCIDENT, { kind: "all" })}`);
      throw new Error("A fails after waiting");
    });
    const fast = store.transaction(async (tx) => {
      events.push(`B begins and sees ${await tx.count(INCIDENT, { kind: "all" })}`);
      await tx.insert(INCIDENT, record(11));
      events.push("B ends");
    });
    await assert.rejects(slow, { message: "A fails after waiting" });
    await fast;
    assert.deepEqual(events, ["A begins", "A sees 1", "B begins and sees 0", "B ends"]);
    assert.equal(await countAll(), 1);
  });

  test("a failed transaction does not block the next one", async () => {
    await clear();
    await assert.rejects(store.transaction(async () => Promise.reject(new Error("first fails"))));
    await store.transaction((tx) => tx.insert(INCIDENT, record(20)));
    assert.equal(await countAll(), 1);
  });

  test("a second connection on the same file (another process) sees only committed work", async () => {
    const path = freshPath();
    const owner = await openStore(`sqlite:${path}`);
    await owner.ensureTables([INCIDENT]);
    const other = new Database(path, { readonly: true });
    try {
      await owner.transaction(async (tx) => {
        await tx.insert(INCIDENT, record(30));
        assert.equal((other.prepare('SELECT COUNT(*) AS n FROM "incident"').get() as { n: number }).n, 0);
      });
      assert.equal((other.prepare('SELECT COUNT(*) AS n FROM "incident"').get() as { n: number }).n, 1);
    } finally {
      other.close();
      await owner.close();
    }
  });
});

describe("read-only transactions (get, getRecords, getKeys, aggregate)", () => {
  test("a read while another process holds the write lock with uncommitted rows → answered with the committed rows, no waiting for the lock", async () => {
    const path = freshPath();
    const store = await openStore(`sqlite:${path}`);
    await store.ensureTables([INCIDENT]);
    await store.transaction((tx) => tx.insert(INCIDENT, record(40)));
    const writer = new Database(path);
    try {
      writer.pragma("busy_timeout = 0");
      writer.exec("BEGIN IMMEDIATE");
      writer.prepare('INSERT INTO "incident" ("sys_id") VALUES (?)').run(sysId(41));
      const seen = await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true });
      assert.equal(seen, 1);
      // A writing transaction would wait busy_timeout for that lock, then fail as unavailable (503).
      writer.exec("COMMIT");
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }), 2);
    } finally {
      writer.close();
      await store.close();
    }
  });

  test("a write inside a read-only transaction is refused and changes nothing", async () => {
    await withStore(freshPath(), async (store) => {
      await assert.rejects(
        store.transaction((tx) => tx.insert(INCIDENT, record(50)), { readOnly: true }),
        { message: "write in a read-only transaction" },
      );
      await assert.rejects(
        store.transaction((tx) => tx.insertBatch(INCIDENT, incidentBatch(2)), { readOnly: true }),
        { message: "write in a read-only transaction" },
      );
      await assert.rejects(
        store.transaction((tx) => tx.delete(INCIDENT, { kind: "all" }), { readOnly: true }),
        { message: "write in a read-only transaction" },
      );
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" })), 0);
    });
  });
});

describe("insertBatch", () => {
  test("a batch of 3,000 records → every record stored once, with its values in their types", async () => {
    await withStore(freshPath(), async (store) => {
      await store.transaction((tx) => tx.insertBatch(INCIDENT, incidentBatch(3000)));
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" })), 3000);
      const [last] = await store.transaction((tx) =>
        tx.select(INCIDENT, { filter: { kind: "compare", column: "sys_id", op: "=", value: batchSysId(2999) }, orderBy: [], offset: 0, limit: 1 }),
      );
      assert.deepEqual(
        ["number", "short_description", "priority", "cost", "active", "opened_at"].map((name) => last!.get(name)),
        ["B2999", `d'"2999\\`, 2999, 749.75, false, "2024-05-01 10:00:00"],
      );
      const [first] = await store.transaction((tx) =>
        tx.select(INCIDENT, { filter: { kind: "compare", column: "number", op: "=", value: "B0" }, orderBy: [], offset: 0, limit: 1 }),
      );
      assert.deepEqual([first!.get("short_description"), first!.get("cost"), first!.get("active")], [null, null, true]);
    });
  });

  test("a batch whose last record repeats the first one's sys_id → the transaction fails and none of its records remains", async () => {
    await withStore(freshPath(), async (store) => {
      await assert.rejects(
        store.transaction((tx) => tx.insertBatch(INCIDENT, incidentBatch(3000, { lastRepeatsFirst: true }))),
        (error: unknown) => (error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY",
      );
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" })), 0);
      await store.transaction((tx) => tx.insertBatch(INCIDENT, incidentBatch(5)));
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" })), 5, "the store works on after the failed batch");
    });
  });

  test("batches of 1, 63, 64, 65, 129 and 200 records → each record stored exactly, in its columns", async () => {
    for (const count of [1, 63, 64, 65, 129, 200]) {
      await withStore(freshPath(), async (store) => {
        const batch = incidentBatch(count);
        await store.transaction((tx) => tx.insertBatch(INCIDENT, batch));
        const rows = await store.transaction((tx) => tx.select(INCIDENT, { filter: { kind: "all" }, orderBy: [], offset: 0, limit: 1000 }));
        assert.equal(rows.length, count);
        const width = batch.columns.length;
        rows.forEach((row, index) => {
          assert.deepEqual(
            batch.columns.map((name) => row.get(name)),
            batch.values.slice(index * width, (index + 1) * width),
            `record ${index} of ${count}`,
          );
        });
      });
    }
  });

  test("a batch whose repeated sys_id sits in its middle → the transaction fails and none of its records remains", async () => {
    await withStore(freshPath(), async (store) => {
      const batch = incidentBatch(300);
      const values = [...batch.values];
      const width = batch.columns.length;
      const sysIdColumn = batch.columns.indexOf("sys_id");
      values[100 * width + sysIdColumn] = values[90 * width + sysIdColumn]!; // records 90 and 100
      await assert.rejects(
        store.transaction((tx) => tx.insertBatch(INCIDENT, { columns: batch.columns, values })),
        (error: unknown) => (error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY",
      );
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" })), 0);
    });
  });

  test("a table of 150 columns → every record stored with each of its values", async () => {
    const wide = tableDef(
      "wide",
      Array.from({ length: 150 }, (_, index) => ({ name: `c${index}`, type: "integer" as const, maxLength: undefined })),
    );
    await withStore(freshPath(), async (store) => {
      await store.ensureTables([wide]);
      const columns = [...wide.columns.keys(), "sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"];
      const values = Array.from({ length: 23 }, (_, record) =>
        columns.map((name) => (name === "sys_id" ? batchSysId(record) : name.startsWith("sys_") ? "x" : record * 1000 + Number(name.slice(1)))),
      ).flat();
      await store.transaction((tx) => tx.insertBatch(wide, { columns, values }));
      const rows = await store.transaction((tx) => tx.select(wide, { filter: { kind: "all" }, orderBy: [], offset: 0, limit: 100 }));
      assert.equal(rows.length, 23);
      assert.deepEqual([rows[22]!.get("c0"), rows[22]!.get("c149")], [22_000, 22_149]);
    });
  });

  test("a ragged batch (values not a multiple of the columns) is refused before anything is written", async () => {
    await withStore(freshPath(), async (store) => {
      const { columns, values } = incidentBatch(2);
      await assert.rejects(store.transaction((tx) => tx.insertBatch(INCIDENT, { columns, values: values.slice(0, -1) })), {
        message: `insert batch of ${values.length - 1} values for ${columns.length} columns`,
      });
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" })), 0);
    });
  });

  test("a column added while the store is open (configuration reload) is written and read by the next requests", async () => {
    await withStore(freshPath(), async (store) => {
      await store.transaction((tx) => tx.insertBatch(INCIDENT, incidentBatch(2)));
      await store.transaction((tx) => tx.select(INCIDENT, { filter: { kind: "all" }, orderBy: [], offset: 0, limit: 10 }));
      const wider = tableDef("incident", [...INCIDENT.columns.values(), { name: "category", type: "string", maxLength: undefined }]);
      await store.ensureTables([wider]);
      await store.transaction((tx) => tx.insert(wider, record(99, { category: "network" })));
      const rows = await store.transaction((tx) => tx.select(wider, { filter: { kind: "all" }, orderBy: [], offset: 0, limit: 10 }));
      assert.deepEqual(rows.map((row) => row.get("category")), [null, null, "network"]);
    });
  });
});

describe("query model on SQLite", () => {
  let store: Store;
  before(async () => {
    store = await openStore(`sqlite:${freshPath()}`);
    await store.ensureTables([INCIDENT]);
    await store.transaction(async (tx) => {
      await tx.insert(INCIDENT, record(1, { number: "A", short_description: "50% off_sale", priority: 1, cost: 1.25, active: true, opened_at: "2024-01-01 00:00:00" }));
      await tx.insert(INCIDENT, record(2, { number: "B", short_description: "5000 offsale", priority: 2, cost: null, active: false }));
      await tx.insert(INCIDENT, record(3, { number: "C", short_description: "", priority: null, active: null }));
    });
  });
  after(async () => {
    await store.close();
  });

  async function numbersWhere(filter: Parameters<StoreTransaction["count"]>[1]): Promise<unknown[]> {
    const rows = await store.transaction((tx) =>
      tx.select(INCIDENT, { filter, orderBy: [{ column: "number", direction: "asc" }], offset: 0, limit: 10 }),
    );
    return rows.map((row) => row.get("number"));
  }

  test("values come back in their types: booleans, numbers, datetimes, nulls", async () => {
    const [row] = await store.transaction((tx) =>
      tx.select(INCIDENT, { filter: { kind: "compare", column: "number", op: "=", value: "A" }, orderBy: [], offset: 0, limit: 1 }),
    );
    assert.equal(row!.get("active"), true);
    assert.equal(row!.get("priority"), 1);
    assert.equal(row!.get("cost"), 1.25);
    assert.equal(row!.get("opened_at"), "2024-01-01 00:00:00");
    const [empty] = await store.transaction((tx) =>
      tx.select(INCIDENT, { filter: { kind: "compare", column: "number", op: "=", value: "C" }, orderBy: [], offset: 0, limit: 1 }),
    );
    assert.equal(empty!.get("active"), null);
    assert.equal(empty!.get("cost"), null);
  });

  test("text matches escape % and _ and ignore ASCII case", async () => {
    assert.deepEqual(await numbersWhere({ kind: "text", column: "short_description", match: "contains", text: "0% OFF_" }), ["A"]);
    assert.deepEqual(await numbersWhere({ kind: "text", column: "short_description", match: "startsWith", text: "5_" }), []);
    assert.deepEqual(await numbersWhere({ kind: "text", column: "short_description", match: "endsWith", text: "SALE" }), ["A", "B"]);
  });

  test("!= also matches empty values; isEmpty covers NULL and '' for strings", async () => {
    assert.deepEqual(await numbersWhere({ kind: "compare", column: "priority", op: "!=", value: 1 }), ["B", "C"]);
    assert.deepEqual(await numbersWhere({ kind: "isEmpty", column: "short_description" }), ["C"]);
    assert.deepEqual(await numbersWhere({ kind: "isNotEmpty", column: "cost" }), ["A"]);
    assert.deepEqual(await numbersWhere({ kind: "compare", column: "active", op: "=", value: false }), ["B"]);
  });

  test("an empty IN list and an empty OR match nothing; an empty AND matches everything", async () => {
    assert.deepEqual(await numbersWhere({ kind: "in", column: "priority", values: [] }), []);
    assert.deepEqual(await numbersWhere({ kind: "or", filters: [] }), []);
    assert.deepEqual(await numbersWhere({ kind: "and", filters: [] }), ["A", "B", "C"]);
  });

  test("update answers how many records matched; aggregate groups with empties first", async () => {
    const changed = await store.transaction((tx) =>
      tx.update(INCIDENT, { kind: "compare", column: "number", op: "=", value: "Z" }, new Map([["priority", 9]])),
    );
    assert.equal(changed, 0);
    const groups = await store.transaction((tx) =>
      tx.aggregate(INCIDENT, { filter: { kind: "all" }, groupBy: ["active"], measures: [{ kind: "countRows" }, { kind: "ofColumn", fn: "max", column: "priority" }] }),
    );
    assert.deepEqual(
      groups.map((group) => [group.group.get("active"), ...group.values]),
      [[null, 1, null], [false, 1, 2], [true, 1, 1]],
    );
  });

  test("a SELECT's row limit is an integer literal of the SQL text, never a bound LIMIT (SQLite compiles a statement with a bound LIMIT again at every run); the offset stays bound", async () => {
    const query = { filter: { kind: "compare", column: "sys_id", op: "=", value: sysId(1) }, orderBy: [], offset: 0, limit: 1 } as const;
    const statement = selectSql(INCIDENT, query, sqliteDialect);
    assert.match(statement.text, / LIMIT 1 OFFSET \?$/);
    assert.deepEqual(statement.params, [sysId(1), 0], "the key and the offset are bound; the limit is not");
    assert.equal(selectSql(INCIDENT, { ...query, filter: { ...query.filter, value: sysId(2) } }, sqliteDialect).text, statement.text, "another key: the same statement");
    const window = await store.transaction((tx) =>
      tx.select(INCIDENT, { filter: { kind: "all" }, orderBy: [{ column: "number", direction: "asc" }], offset: 1, limit: 2 }),
    );
    assert.deepEqual(window.map((row) => row.get("number")), ["B", "C"]);
    const none = await store.transaction((tx) => tx.select(INCIDENT, { filter: { kind: "all" }, orderBy: [], offset: 0, limit: 0 }));
    assert.deepEqual(none, []);
  });

  test("a row limit that is not a non-negative safe integer never reaches SQL", async () => {
    for (const limit of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await assert.rejects(
        store.transaction((tx) => tx.select(INCIDENT, { filter: { kind: "all" }, orderBy: [], offset: 0, limit })),
        { message: `row limit ${String(limit)} is not a non-negative integer` },
      );
    }
  });

  test("a column name the table lacks never reaches SQL", async () => {
    await assert.rejects(
      store.transaction((tx) => tx.count(INCIDENT, { kind: "compare", column: 'number" OR 1=1 --', op: "=", value: "x" })),
      { message: 'no column number" OR 1=1 -- in table incident' },
    );
  });
});
