/**
 * Durability of the SQLite store (SPEC §7: "SQLite runs with
 * synchronous=FULL unless the store URL says otherwise: an acknowledged write
 * survives a power loss"), kept by the store's own WAL sync off the event
 * loop (group commit, src/store/wal-sync.ts). A real SQLite file; only the
 * fdatasync of the WAL is held or made to fail (test/helpers/held-sync.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { DependencyUnavailableError } from "../../src/dependency.js";
import { openStore } from "../../src/store/open.js";
import { SqliteStore } from "../../src/store/sqlite.js";
import type { Row } from "../../src/store/types.js";
import { HeldSync, settle, tracked } from "../helpers/held-sync.js";
import { INCIDENT } from "../helpers/table-fixture.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "wss-gateway-durability-"));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCounter = 0;
function freshPath(): string {
  fileCounter += 1;
  return join(dir, `db-${fileCounter}`, "gateway.db");
}

function record(n: number): Row {
  return new Map<string, string | number | boolean | null>([
    ["sys_id", n.toString(16).padStart(32, "0")],
    ["sys_created_on", "2024-01-01 00:00:00"],
    ["sys_created_by", "tester"],
    ["sys_updated_on", "2024-01-01 00:00:00"],
    ["sys_updated_by", "tester"],
    ["number", `INC${n}`],
  ]);
}

function countInFile(path: string): number {
  const other = new Database(path, { readonly: true });
  try {
    return (other.prepare("SELECT COUNT(*) AS n FROM incident").get() as { n: number }).n;
  } finally {
    other.close();
  }
}

/** A store on a new file whose WAL syncs are held by `sync`, its table created. */
async function openHeld(path = freshPath(), sync = new HeldSync()): Promise<{ store: SqliteStore; sync: HeldSync; path: string }> {
  const store = await openStore(`sqlite:${path}`, { syncFile: sync.syncFile });
  assert.ok(store instanceof SqliteStore);
  const tables = tracked(store.ensureTables([INCIDENT]));
  await settle();
  assert.equal(tables.done(), false, "the table's creation waits for its sync too");
  sync.release();
  await tables.promise;
  return { store, sync, path };
}

async function closeHeld(store: SqliteStore, sync: HeldSync): Promise<void> {
  sync.release();
  const closing = store.close();
  await settle();
  sync.release();
  await closing;
}

const storeUnavailable = (error: unknown) => error instanceof DependencyUnavailableError && error.message === "store unavailable: WAL sync failed (EIO)";

describe("durability: synchronous=full kept by the store's own WAL sync, off the event loop (group commit)", () => {
  test("a write is answered only after the WAL holding its commit is synced; writes committed meanwhile share the next sync", async () => {
    const { store, sync, path } = await openHeld();
    try {
      assert.equal(store.synchronousMode(), "full");
      const first = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(1))));
      await settle();
      assert.equal(sync.waiting, 1, "the first commit's sync is under way");
      assert.equal(first.done(), false, "not answered before its sync");
      const second = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(2))));
      const third = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(3))));
      await settle();
      assert.equal(sync.waiting, 1, "no second sync while one runs");
      assert.deepEqual([first.done(), second.done(), third.done()], [false, false, false]);
      assert.equal(countInFile(path), 3, "all three committed, each in its own transaction, none answered");
      sync.release();
      await first.promise;
      await settle();
      assert.equal(sync.waiting, 1, "one sync for the two commits made meanwhile");
      assert.deepEqual([second.done(), third.done()], [false, false], "the first sync did not cover them");
      sync.release();
      await Promise.all([second.promise, third.promise]);
      assert.deepEqual(sync.paths.slice(-2), [`${path}-wal`, `${path}-wal`], "the WAL is what is synced");
    } finally {
      await closeHeld(store, sync);
    }
  });

  test("a read that may have seen an unsynced commit waits for that sync; a read after it starts no sync", async () => {
    const { store, sync } = await openHeld();
    try {
      const write = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(1))));
      await settle();
      const read = tracked(store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }));
      await settle();
      assert.deepEqual([write.done(), read.done()], [false, false], "the read saw the unsynced row: not answered yet");
      sync.release();
      assert.equal(await read.promise, 1);
      await write.promise;
      const syncs = sync.paths.length;
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }), 1);
      assert.equal(sync.paths.length, syncs, "nothing left to sync: the read is answered without one");
    } finally {
      await closeHeld(store, sync);
    }
  });

  test("a read that may have seen another process's (worker's) unsynced commit waits for a sync of its own, started after that commit", async () => {
    const path = freshPath();
    const { store: writer, sync: writerSync } = await openHeld(path);
    const { store: reader, sync: readerSync } = await openHeld(path);
    try {
      const write = tracked(writer.transaction((tx) => tx.insert(INCIDENT, record(1))));
      await settle();
      assert.equal(write.done(), false);
      const read = tracked(reader.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }));
      await settle();
      assert.equal(readerSync.waiting, 1, "the reader syncs the WAL the other connection wrote");
      assert.equal(read.done(), false, "not answered before that sync");
      readerSync.release();
      assert.equal(await read.promise, 1);
      const syncs = readerSync.paths.length;
      assert.equal(await reader.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }), 1);
      assert.equal(readerSync.paths.length, syncs, "no new commit of the other connection: no sync");
      writerSync.release();
      await write.promise;
    } finally {
      await closeHeld(reader, readerSync);
      await closeHeld(writer, writerSync);
    }
  });

  test("a read waits for the other process's commits its snapshot holds, not for one made after its snapshot was taken (data_version is read inside the read transaction)", async () => {
    const { store: reader, sync: readerSync, path } = await openHeld();
    const other = new Database(path);
    other.pragma("synchronous = NORMAL"); // another process's connection; its commits are not synced by this store
    const insertOther = other.prepare("INSERT INTO incident (sys_id, number) VALUES (?, ?)");
    try {
      const read = tracked(
        reader.transaction(
          async (tx) => {
            const before = await tx.count(INCIDENT, { kind: "all" }); // the snapshot is taken here
            insertOther.run(record(1).get("sys_id"), "INC1"); // committed by the other connection after it
            return before;
          },
          { readOnly: true },
        ),
      );
      await settle();
      assert.equal(readerSync.waiting, 0, "the read saw no commit of the other process: nothing to sync");
      assert.equal(read.done(), true);
      assert.equal(await read.promise, 0);
      const next = tracked(reader.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }));
      await settle();
      assert.equal(readerSync.waiting, 1, "the next read's snapshot holds that commit: it waits for a sync of its own");
      assert.equal(next.done(), false);
      readerSync.release();
      assert.equal(await next.promise, 1);
    } finally {
      other.close();
      await closeHeld(reader, readerSync);
    }
  });

  test("a failed WAL sync → 'store unavailable' (503) for the write it covered and for the commits waiting behind it; no later sync is trusted; the store refuses every request and ping until restarted", async () => {
    const { store, sync, path } = await openHeld();
    try {
      const first = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(1))));
      await settle();
      const second = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(2))));
      const read = tracked(store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }));
      await settle();
      assert.equal(sync.waiting, 1);
      sync.failWith = Object.assign(new Error("input/output error"), { code: "EIO" });
      sync.release();
      await assert.rejects(first.promise, storeUnavailable);
      await assert.rejects(second.promise, storeUnavailable, "a commit after the failed sync is not acknowledged by a later sync");
      await assert.rejects(read.promise, storeUnavailable, "nor a read that saw it");
      assert.equal(sync.paths.length, 2, "no sync was started after the failure (the table's, then the failed one)");
      sync.failWith = undefined;
      await assert.rejects(store.transaction((tx) => tx.insert(INCIDENT, record(3))), storeUnavailable);
      await assert.rejects(store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }), storeUnavailable);
      await assert.rejects(store.ping(), storeUnavailable);
      assert.equal(countInFile(path), 2, "the refused request wrote nothing; the two whose sync failed are in the WAL, unacknowledged");
    } finally {
      await closeHeld(store, sync);
    }
  });

  test("close waits for the sync of the last commits before closing the file", async () => {
    const { store, sync } = await openHeld();
    const write = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(1))));
    await settle();
    const closing = tracked(store.close());
    await settle();
    assert.equal(closing.done(), false, "not closed while a commit waits for its sync");
    sync.release();
    await write.promise;
    await closing.promise;
  });

  test("synchronous=normal and :memory: keep SQLite's own setting (no WAL sync of the store's)", async () => {
    const sync = new HeldSync();
    for (const url of [`sqlite:${freshPath()}?synchronous=normal`, `sqlite:${freshPath()}?synchronous=extra`, "sqlite::memory:"]) {
      const store = await openStore(url, { syncFile: sync.syncFile });
      try {
        assert.ok(store instanceof SqliteStore);
        await store.ensureTables([INCIDENT]);
        await store.transaction((tx) => tx.insert(INCIDENT, record(1)));
        assert.equal(store.synchronousMode(), url.endsWith("normal") ? "normal" : url.endsWith("extra") ? "extra" : "full");
      } finally {
        await store.close();
      }
    }
    assert.equal(sync.paths.length, 0);
  });

  test("the real sync (fdatasync of the WAL): writes and reads are answered, and the rows are in the file", async () => {
    const path = freshPath();
    const store = await openStore(`sqlite:${path}`);
    try {
      await store.ensureTables([INCIDENT]);
      await Promise.all([1, 2, 3, 4].map((n) => store.transaction((tx) => tx.insert(INCIDENT, record(n)))));
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }), 4);
    } finally {
      await store.close();
    }
    assert.equal(countInFile(path), 4);
  });

  test("a commit that leaves the WAL under 1,000 frames wakes no thread: the checkpointer's worker is asked nothing", async () => {
    const path = freshPath();
    const store = await openStore(`sqlite:${path}`);
    assert.ok(store instanceof SqliteStore);
    try {
      await store.ensureTables([INCIDENT]);
      for (let n = 0; n < 100; n++) await store.transaction((tx) => tx.insert(INCIDENT, record(n)));
      assert.equal(store.checkpointerLooks(), 0, "the worker was woken below the threshold");
      const long = "x".repeat(3_000); // about one page per row
      await store.transaction(async (tx) => {
        for (let n = 0; n < 1_100; n++) await tx.insert(INCIDENT, new Map([...record(1_000 + n), ["short_description", long]]));
      });
      const deadline = Date.now() + 10_000;
      while (store.checkpointerLooks() === 0) {
        if (Date.now() > deadline) throw new Error("the worker was never asked to checkpoint the WAL past 1,000 frames");
        await delay(10);
      }
    } finally {
      await store.close();
    }
    assert.equal(countInFile(path), 1_200);
  });

  test("SQLite's checkpoint runs on a second connection in a worker thread, not in the store's COMMIT: the WAL past 1,000 frames is copied into the database file", async () => {
    const path = freshPath();
    const store = await openStore(`sqlite:${path}`);
    assert.ok(store instanceof SqliteStore);
    try {
      await store.ensureTables([INCIDENT]);
      assert.equal(store.autoCheckpointFrames(), 0, "the store's own connection never checkpoints by itself");
      const before = statSync(path).size;
      const long = "x".repeat(3_000); // about one page per row
      for (let batch = 0; batch < 3; batch++) {
        await store.transaction(async (tx) => {
          for (let n = 0; n < 400; n++) await tx.insert(INCIDENT, new Map([...record(batch * 1_000 + n), ["short_description", long]]));
        });
      }
      const deadline = Date.now() + 10_000;
      while (statSync(path).size <= before) {
        if (Date.now() > deadline) throw new Error("the WAL was never checkpointed into the database file");
        await delay(10);
      }
      assert.equal(await store.transaction((tx) => tx.count(INCIDENT, { kind: "all" }), { readOnly: true }), 1_200);
    } finally {
      await store.close();
    }
    assert.equal(countInFile(path), 1_200);
  });
});

describe("another process's write lock (serve --workers N): a write waits for it on timers, not on the event loop", () => {
  test("a write while another connection holds the write lock → not answered, the event loop keeps running; stored once the lock is released", async () => {
    const path = freshPath();
    const store = await openStore(`sqlite:${path}`);
    try {
      await store.ensureTables([INCIDENT]);
      const other = new Database(path);
      try {
        other.prepare("BEGIN IMMEDIATE").run();
        other.prepare("INSERT INTO incident (sys_id, number) VALUES (?, ?)").run("f".repeat(32), "OTHER");
        const write = tracked(store.transaction((tx) => tx.insert(INCIDENT, record(1))));
        // SQLite's own busy handler would sleep on this thread up to busy_timeout (5 s) and then fail: these turns would not run meanwhile.
        await settle(200);
        assert.equal(write.done(), false, "waiting for the other process's write lock");
        other.prepare("COMMIT").run();
          await write.promise;
      } finally {
        other.close();
      }
      assert.equal(countInFile(path), 2);
      assert.ok(store instanceof SqliteStore);
      assert.equal(store.busyTimeoutMs(), 5_000, "every other statement still waits busy_timeout for another process's lock");
    } finally {
      await store.close();
    }
  });
});
