/**
 * How to insert a batch of records into SQLite (docs/performance.md, "After
 * the decision"): the 5,335 records of the bench's 1 MB insertMultiple (9
 * columns) into a WAL file with synchronous=FULL, in one transaction, either
 * by one single-record INSERT prepared once and run per record (`1`) or by
 * multi-record INSERTs of N records (the last one shorter). Prints, per
 * shape, the median and best time of the INSERTs (the COMMIT apart, printed
 * once), over 20 interleaved rounds, the table emptied before each.
 *
 *   flock /tmp/bench.lock taskset -c 1 node bench/sqlite-insert-shapes.mjs [1,8,32,111,3640]
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "sqlite-insert-shapes-"));
const db = new Database(join(dir, "shapes.db"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
const columns = ["number", "short_description", "priority", "active", "sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"];
db.exec(`CREATE TABLE t (${columns.map((c) => `"${c}" ${c === "sys_id" ? "TEXT PRIMARY KEY NOT NULL" : "TEXT"}`).join(", ")})`);
const RECORDS = 5335;
const WIDTH = columns.length;

function values() {
  const ids = randomBytes(16 * RECORDS).toString("hex");
  const v = new Array(RECORDS * WIDTH);
  for (let r = 0; r < RECORDS; r++) {
    const o = r * WIDTH;
    v[o] = `INC${r}`;
    v[o + 1] = `Printer on floor 3 & scanner report paper jam #${r} (queue "east")`;
    v[o + 2] = r % 5;
    v[o + 3] = 1;
    v[o + 4] = ids.slice(r * 32, r * 32 + 32);
    v[o + 5] = "2026-01-01 00:00:00";
    v[o + 6] = "partner.soap";
    v[o + 7] = "2026-01-01 00:00:00";
    v[o + 8] = "partner.soap";
  }
  return v;
}

const statements = new Map();
function statement(rows) {
  let s = statements.get(rows);
  if (!s) {
    const one = `(${columns.map(() => "?").join(", ")})`;
    s = db.prepare(`INSERT INTO t (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${Array(rows).fill(one).join(", ")}`);
    statements.set(rows, s);
  }
  return s;
}

const commitMs = [];
function run(chunk, v) {
  db.exec("BEGIN IMMEDIATE");
  const t0 = performance.now();
  for (let r = 0; r < RECORDS; r += chunk) {
    const n = Math.min(chunk, RECORDS - r);
    statement(n).run(v.slice(r * WIDTH, (r + n) * WIDTH));
  }
  const t1 = performance.now();
  db.exec("COMMIT");
  commitMs.push(performance.now() - t1);
  return t1 - t0;
}

const shapes = (process.argv[2] ?? "1,8,32,111,3640").split(",").map(Number);
const times = new Map(shapes.map((shape) => [shape, []]));
for (let round = 0; round < 20; round++) {
  for (const shape of shapes) {
    db.exec("DELETE FROM t");
    times.get(shape).push(run(shape, values()));
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [shape, t] of times) console.log(`${shape} record(s) per INSERT: median ${median(t).toFixed(1)} ms, best ${Math.min(...t).toFixed(1)} ms`);
console.log(`COMMIT (fsync of the WAL): median ${median(commitMs).toFixed(1)} ms`);
db.close();
rmSync(dir, { recursive: true, force: true });
