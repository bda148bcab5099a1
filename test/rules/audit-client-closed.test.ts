/**
 * The audit line and the metrics record what the client received (SPEC §7
 * `status`): a client that closes its connection while its request runs is
 * sent nothing, so the request is recorded `client-closed` with no status —
 * and, when the operation was executed anyway, the reason says so ("executed;
 * 200 not sent"), for the operator who must know a record was committed
 * without an answer. A PostgreSQL of the test's own holds the table locked so
 * that the insert is in the store while the client leaves.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { after, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { pino } from "pino";
import { startGateway, type RunningGateway } from "../../src/http/server.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, soapEnvelope } from "../helpers/gateway.js";
import { postgresMissing, startOwnPostgres, type OwnPostgres } from "../helpers/own-servers.js";
import { value } from "../helpers/prometheus.js";
import { postRequest } from "../helpers/raw-http.js";

const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: basicAuth("alice", "alice-password") };

async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await delay(10);
  }
}

describe("a client that closes its connection while its request runs", { skip: postgresMissing }, () => {
  let postgres: OwnPostgres | undefined;
  let gateway: RunningGateway | undefined;
  const clients: pg.Client[] = [];
  after(async () => {
    await gateway?.close();
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    postgres?.destroy();
  });

  test("the insert executed meanwhile is recorded client-closed with no status and 'executed; 200 not sent' (not 200); metrics likewise", async () => {
    postgres = await startOwnPostgres();
    const chunks: string[] = [];
    const logger = pino({ level: "info", base: undefined }, new Writable({ write: (chunk, _encoding, callback) => (chunks.push(String(chunk)), callback()) }));
    const configDir = makeConfigDir({ gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\n" });
    gateway = await startGateway({ configDir, host: "127.0.0.1", port: 0, store: postgres.url, replayCache: "memory", logger });
    const audits = () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === "request")
        .map((line) => line.audit as Record<string, unknown>);

    const locker = new pg.Client({ connectionString: postgres.url });
    clients.push(locker);
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query(`LOCK TABLE "incident" IN ACCESS EXCLUSIVE MODE`);

    const target = new URL(gateway.url);
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(postRequest("/incident.do?SOAP", soapEnvelope("incident", "insert", "<number>LEFT-1</number>"), HEADERS));
    // The insert waits for the table lock: the request is being executed.
    await until("the gateway's statement waits for the lock", async () => {
      const waiting = await locker.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
      return waiting.rows[0].n > 0;
    });
    socket.destroy();
    await until("the gateway saw the connection close", () => gateway!.services.admission.inFlight().requests === 0);
    await locker.query("COMMIT"); // the insert goes on and commits: executed, with nobody to answer

    await until("the audit line", () => audits().length > 0);
    const [audit] = audits();
    assert.equal(audit?.outcome, "client-closed");
    assert.equal("status" in audit!, false, "no status: the client was sent nothing");
    assert.match(String(audit?.reason), /(^|; )client closed the connection before its answer \(executed; 200 not sent\)$/);
    const stored = await locker.query(`SELECT number FROM "incident"`);
    assert.deepEqual(stored.rows.map((row: { number: string }) => row.number), ["LEFT-1"], "executed: the record is there");
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "client-closed", fault: "", status: "" }), 1);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "ok", fault: "", status: "200" }), 0);
  });
});
