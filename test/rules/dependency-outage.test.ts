/**
 * Dependency outages (SPEC §1, §3 /readyz, §5 Faults, §7): a store, replay
 * cache or throttle store that is down, stopped or frozen turns a request
 * into the 503 fault `Service temporarily unavailable` with Retry-After —
 * never an acceptance, a credential fault or a 500 — writes nothing, is
 * logged at error level and counted, and /readyz answers 503 naming it
 * (promptly, even when the dependency is frozen). `serve` starts with its
 * dependencies unreachable and serves once they are back.
 *
 * Real servers of the test's own (test/helpers/own-servers.ts): a
 * redis-server killed and restarted, a PostgreSQL stopped, restarted and
 * frozen with SIGSTOP.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { pino } from "pino";
import { startGateway, type RunningGateway } from "../../src/http/server.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, soapEnvelope, textOf } from "../helpers/gateway.js";
import { requestOnNewConnection, type OneShotResponse } from "../helpers/raw-http.js";
import { freePort, postgresMissing, startOwnPostgres, startOwnRedis, type OwnPostgres, type OwnRedis } from "../helpers/own-servers.js";
import { value } from "../helpers/prometheus.js";
import { exitWithin, spawnServe } from "../helpers/serve-process.js";

const PARTNER = basicAuth("partner.soap", "partner-demo-password");
const KEY = readFileSync("certs/demo-partner.key", "utf8");
const CERT = readFileSync("certs/demo-partner.pem", "utf8");
const UNAVAILABLE = "Service temporarily unavailable";

function signedInsert(number: string): string {
  return signEnvelope(soapEnvelope("incident", "insert", `<number>${number}</number><short_description>outage</short_description>`), {
    key: KEY,
    cert: CERT,
    timestampSeconds: 300,
  });
}

/** A signed insert as partner.soap, on a connection of its own. */
function postInsert(target: { url: string }, number: string): Promise<OneShotResponse> {
  return requestOnNewConnection(target.url, "/incident.do?SOAP", {
    body: signedInsert(number),
    headers: { "Content-Type": "text/xml; charset=utf-8", Authorization: PARTNER },
  });
}

function assertUnavailable(response: OneShotResponse): void {
  assert.equal(response.status, 503, response.body);
  assert.equal(textOf(response.body, "faultstring"), UNAVAILABLE);
  assert.match(textOf(response.body, "faultcode") ?? "", /:Server$/);
  assert.ok(Number(response.headers["retry-after"]) > 0, "Retry-After");
}

async function readyz(url: string): Promise<{ status: number; body: string }> {
  return requestOnNewConnection(url, "/readyz");
}

/** Polls /readyz until it answers `status` (a dependency coming back reconnects in the background). */
async function waitForReadiness(url: string, status: number): Promise<string> {
  const deadline = Date.now() + 20_000;
  let last = { status: 0, body: "" };
  while (Date.now() < deadline) {
    last = await readyz(url);
    if (last.status === status) return last.body;
    await delay(200);
  }
  throw new Error(`/readyz did not answer ${status}; last: ${last.status} ${last.body}`);
}

async function storedNumbers(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ number: string }>(`SELECT number FROM "incident" ORDER BY number`);
    return result.rows.map((row) => row.number);
  } finally {
    await client.end();
  }
}

interface LoggedGateway {
  readonly gateway: RunningGateway;
  readonly logLines: () => Record<string, unknown>[];
}

async function startLoggedGateway(store: string, replayCache: string): Promise<LoggedGateway> {
  const chunks: string[] = [];
  const logger = pino(
    { level: "info", base: undefined },
    new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    }),
  );
  const gateway = await startGateway({ configDir: resolve("policies"), host: "127.0.0.1", port: 0, store, replayCache, logger });
  const logLines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { gateway, logLines };
}

async function metricsText(url: string): Promise<string> {
  return (await requestOnNewConnection(url, "/metrics")).body;
}

describe("outages of a running gateway on PostgreSQL and Redis", { skip: postgresMissing }, () => {
  let redis: OwnRedis;
  let postgres: OwnPostgres;
  let served: LoggedGateway;
  let url: string;

  before(async () => {
    redis = await startOwnRedis();
    postgres = await startOwnPostgres();
    served = await startLoggedGateway(postgres.url, redis.url);
    url = served.gateway.url;
  });

  after(async () => {
    postgres?.thaw();
    await served?.gateway.close();
    await redis?.stop();
    postgres?.destroy();
  });

  test("all up: /readyz 200 names the store, the replay cache and the throttle store; a signed insert is accepted", async () => {
    const ready = await readyz(url);
    assert.equal(ready.status, 200, ready.body);
    assert.match(ready.body, /^store \(postgres\): ok$/m);
    assert.match(ready.body, /^replay cache \(redis\): ok$/m);
    assert.match(ready.body, /^throttle store \(redis\): ok$/m);
    assert.equal((await postInsert({ url }, "UP-1")).status, 200);
  });

  test("Redis killed: a signed insert → 503 Service temporarily unavailable + Retry-After (not a credential fault), nothing written; /readyz 503 names the replay cache and throttle store; logged at error level and counted", async () => {
    await redis.stop();
    const response = await postInsert({ url }, "REDIS-DOWN");
    assertUnavailable(response);
    const ready = await readyz(url);
    assert.equal(ready.status, 503, ready.body);
    assert.match(ready.body, /^store \(postgres\): ok$/m);
    assert.match(ready.body, /^replay cache \(redis\): unavailable: /m);
    assert.match(ready.body, /^throttle store \(redis\): unavailable: /m);
    const logged = served.logLines().find((line) => line.level === 50 && (line.dependency === "throttle store" || line.dependency === "replay cache"));
    assert.ok(logged, "an error-level line names the failed dependency");
    const metrics = await metricsText(url);
    assert.ok((value(metrics, "wss_gateway_dependency_errors_total", { dependency: "throttle_store" }) ?? 0) >= 1);
    assert.equal(value(metrics, "wss_gateway_requests_total", { outcome: "fault", fault: "unavailable", status: "503" }), 1);
    assert.equal(value(metrics, "wss_gateway_requests_total", { outcome: "fault", fault: "authenticationFailed", status: "500" }), 0);
    assert.deepEqual(await storedNumbers(postgres.url), ["UP-1"]);

    await redis.start();
    await waitForReadiness(url, 200);
    assert.equal((await postInsert({ url }, "REDIS-BACK")).status, 200);
  });

  test("PostgreSQL stopped: a signed insert → 503 (not 500 Internal error), nothing written; /readyz 503 names the store; back after a restart", async () => {
    postgres.stop();
    const response = await postInsert({ url }, "PG-DOWN");
    assertUnavailable(response);
    const ready = await readyz(url);
    assert.equal(ready.status, 503, ready.body);
    assert.match(ready.body, /^store \(postgres\): unavailable: /m);
    assert.match(ready.body, /^replay cache \(redis\): ok$/m);
    assert.ok(served.logLines().some((line) => line.level === 50 && line.dependency === "store"), "an error-level line names the store");
    assert.ok((value(await metricsText(url), "wss_gateway_dependency_errors_total", { dependency: "store" }) ?? 0) >= 1);

    postgres.start();
    await waitForReadiness(url, 200);
    assert.equal((await postInsert({ url }, "PG-BACK")).status, 200);
    assert.deepEqual(await storedNumbers(postgres.url), ["PG-BACK", "REDIS-BACK", "UP-1"]);
  });

  test("a retry of the very envelope that got 503 while PostgreSQL was down is executed, not refused as a replay", async () => {
    const envelope = signedInsert("PG-RETRY");
    const send = () =>
      requestOnNewConnection(url, "/incident.do?SOAP", { body: envelope, headers: { "Content-Type": "text/xml; charset=utf-8", Authorization: PARTNER } });
    postgres.stop();
    assertUnavailable(await send());
    postgres.start();
    await waitForReadiness(url, 200);
    const retried = await send();
    assert.equal(retried.status, 200, retried.body);
    assert.equal(textOf((await send()).body, "faultstring"), "WS-Security message replayed", "once executed, it is used up");
    assert.ok((await storedNumbers(postgres.url)).includes("PG-RETRY"));
  });

  test("PostgreSQL frozen (SIGSTOP): a signed insert ends in 503 at the pool's timeouts instead of hanging; /readyz answers 503 naming the store; thawed, it serves again", async () => {
    // A pooled connection exists (the last test's insert), so the freeze is met both by a query on it and by new connections.
    postgres.freeze();
    const [insert, ready] = await Promise.all([
      postInsert({ url }, "PG-FROZEN"),
      readyz(url),
    ]);
    assertUnavailable(insert);
    assert.equal(ready.status, 503, ready.body);
    assert.match(ready.body, /^store \(postgres\): unavailable: /m);
    postgres.thaw();
    await waitForReadiness(url, 200);
    assert.equal((await postInsert({ url }, "PG-THAWED")).status, 200);
    const stored = await storedNumbers(postgres.url);
    assert.ok(stored.includes("PG-THAWED"));
  });
});

describe("serve with its dependencies unreachable at start (SPEC §1)", { skip: postgresMissing }, () => {
  test("it starts; /readyz 503 names the store, replay cache and throttle store; SOAP requests get 503; once PostgreSQL and Redis are up it creates the tables and serves; SIGTERM exits 0", async (t) => {
    const [redisPort, postgresPort] = [await freePort(), await freePort()];
    const served = await spawnServe([
      "--config",
      resolve("policies"),
      "--store",
      `postgres://postgres@127.0.0.1:${postgresPort}/postgres`,
      "--replay-cache",
      `redis://127.0.0.1:${redisPort}`,
    ]);
    let redis: OwnRedis | undefined;
    let postgres: OwnPostgres | undefined;
    t.after(async () => {
      if (served.child.exitCode === null) served.child.kill("SIGKILL");
      await redis?.stop();
      postgres?.destroy();
    });
    const ready = await readyz(served.url);
    assert.equal(ready.status, 503, ready.body);
    assert.match(ready.body, /^store \(postgres\): unavailable: /m);
    assert.match(ready.body, /^replay cache \(redis\): unavailable: /m);
    assert.match(ready.body, /^throttle store \(redis\): unavailable: /m);
    assert.ok(served.logLines().some((line) => line.level === "error" && line.dependency === "store"), "the unreachable store is logged at start");
    assertUnavailable(await postInsert(served, "EARLY"));

    redis = await startOwnRedis(redisPort);
    postgres = await startOwnPostgres(postgresPort);
    await waitForReadiness(served.url, 200).catch((error: Error) => {
      throw new Error(`${error.message}\nexit: ${served.child.exitCode}\nstderr: ${served.stderr()}\nlog: ${JSON.stringify(served.logLines().slice(-5))}`);
    });
    assert.equal((await postInsert(served, "LATE")).status, 200);
    assert.deepEqual(await storedNumbers(postgres.url), ["LATE"]);

    served.child.kill("SIGTERM");
    assert.deepEqual(await exitWithin(served, 15_000), { code: 0, signal: null });
  });
});
