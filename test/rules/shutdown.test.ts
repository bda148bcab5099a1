/**
 * Graceful shutdown (SPEC §7): on SIGTERM the real `serve` process stops
 * accepting connections, finishes the requests in flight, closes the store
 * and exits 0. Every insert answered 200 is in the SQLite file, and nothing
 * else is: no insert is half-written or written without its answer.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import Database from "better-sqlite3";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, soapEnvelope, textOf } from "../helpers/gateway.js";
import { exitWithin, spawnServe, startSlowPost } from "../helpers/serve-process.js";
import { startGateway } from "../../src/http/server.js";
import { pino } from "pino";

const ALICE = basicAuth("alice", "alice-password");
const SOAP_HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: ALICE };
const EXIT_WITHIN_MS = 15_000;

function freshStore(): { dbPath: string; storeArg: string } {
  const dbPath = join(mkdtempSync(join(tmpdir(), "wss-shutdown-db-")), "gateway.db");
  return { dbPath, storeArg: `sqlite:${dbPath}` };
}

function storedIncidents(dbPath: string): { sys_id: string; number: string }[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT sys_id, number FROM "incident"`).all() as { sys_id: string; number: string }[];
  } finally {
    db.close();
  }
}

describe("graceful shutdown on SIGTERM", () => {
  test("a burst of 200 inserts (20 concurrent) with SIGTERM part-way: every 200 is stored, nothing else is, exit 0", async (t) => {
    const { dbPath, storeArg } = freshStore();
    const served = await spawnServe(["--config", makeConfigDir(), "--store", storeArg]);
    const total = 200;
    const concurrency = 20;
    const signalAfterAnswers = 60;
    const accepted = new Map<string, string>(); // sys_id → number
    const failures: string[] = [];
    let answered = 0;
    let next = 0;
    let signalledAt: number | undefined;
    const started = performance.now();

    const client = async () => {
      while (next < total) {
        const number = `INC${String(next++).padStart(4, "0")}`;
        try {
          const response = await fetch(`${served.url}/incident.do?SOAP`, {
            method: "POST",
            headers: SOAP_HEADERS,
            body: soapEnvelope("incident", "insert", `<number>${number}</number><short_description>burst</short_description>`),
          });
          const body = await response.text();
          if (response.status === 200) accepted.set(textOf(body, "sys_id")!, number);
          else failures.push(`HTTP ${response.status}`);
        } catch (error) {
          failures.push(String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message));
        }
        if (++answered === signalAfterAnswers) {
          signalledAt = performance.now();
          served.child.kill("SIGTERM");
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    const exit = await exitWithin(served, EXIT_WITHIN_MS);
    const exitMs = performance.now() - (signalledAt ?? started);

    t.diagnostic(`${accepted.size} answered 200, ${failures.length} refused or reset after SIGTERM (${[...new Set(failures)].join(", ")}); exited ${exitMs.toFixed(0)} ms after SIGTERM`);
    assert.deepEqual(exit, { code: 0, signal: null }, served.stderr());
    assert.ok(accepted.size >= signalAfterAnswers - concurrency, `only ${accepted.size} inserts were answered 200`);
    assert.ok(failures.every((failure) => !failure.startsWith("HTTP")), `an insert was answered with an error status: ${failures.join(", ")}`);
    const stored = storedIncidents(dbPath);
    assert.deepEqual(new Map(stored.map((row) => [row.sys_id, row.number])), accepted);
    const stopped = served.logLines().find((line) => line.msg === "wss-gateway stopped");
    assert.equal(stopped?.drained, "drained");
  });

  test("a request in flight at SIGTERM is finished and stored; new connections are refused meanwhile; then exit 0", async () => {
    const { dbPath, storeArg } = freshStore();
    const served = await spawnServe(["--config", makeConfigDir(), "--store", storeArg]);
    const body = soapEnvelope("incident", "insert", `<number>SLOW-1</number><short_description>arrives slowly</short_description>`);
    const slow = startSlowPost(served.url, "/incident.do?SOAP", body, 100, SOAP_HEADERS);
    await delay(300); // the request's headers and first bytes reach the server: it is in flight
    served.child.kill("SIGTERM");
    await waitForLog(served.logLines, (line) => line.msg === "shutting down: no new connections, finishing requests in flight");

    await assert.rejects(
      fetch(`${served.url}/healthz`),
      (error: Error & { cause?: { code?: string } }) => error.cause?.code === "ECONNREFUSED",
    );
    assert.equal(served.child.exitCode, null, "the process must wait for the request in flight");

    slow.sendRest();
    const response = await slow.response;
    assert.equal(response.status, 200, response.body);
    const sysId = textOf(response.body, "sys_id");
    assert.deepEqual(await exitWithin(served, EXIT_WITHIN_MS), { code: 0, signal: null });
    assert.deepEqual(storedIncidents(dbPath), [{ sys_id: sysId, number: "SLOW-1" }]);
  });
});

describe("the shutdown grace period", () => {
  test("a request still unfinished when the grace period ends is dropped: close() reports it forced, nothing is written", async () => {
    const { dbPath, storeArg } = freshStore();
    const gateway = await startGateway({ configDir: makeConfigDir(), host: "127.0.0.1", port: 0, store: storeArg, shutdownGraceMs: 300, logger: pino({ level: "silent" }) });
    const stalled = startSlowPost(gateway.url, "/incident.do?SOAP", soapEnvelope("incident", "insert", "<number>NEVER</number>"), 50, SOAP_HEADERS);
    const dropped = assert.rejects(stalled.response, (error: Error & { code?: string }) => error.code === "ECONNRESET");
    await delay(200);
    assert.deepEqual(await gateway.close(), { kind: "forced", connections: 1 });
    await dropped;
    assert.deepEqual(storedIncidents(dbPath), []);
  });
});

async function waitForLog(lines: () => Record<string, unknown>[], matches: (line: Record<string, unknown>) => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (lines().some(matches)) return;
    await delay(25);
  }
  throw new Error("the expected log line did not appear");
}
