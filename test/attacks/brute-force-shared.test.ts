/**
 * Brute force across instances: with a Redis (`--replay-cache redis://…`)
 * the failure counts are shared, so spreading guesses over workers or
 * instances behind a load balancer gains an attacker nothing. Two real
 * gateways in one process share the real Redis (WSS_TEST_REDIS_URL), each
 * with its own ManualClock standing at the same time; each test uses its own
 * key prefix and deletes its keys afterwards, so parallel test files and
 * earlier runs never see each other's counts. Then the real `serve
 * --workers 2` on the real clock (a fresh address and user name per run, its
 * keys deleted afterwards), and a gateway on its own redis-server, stopped
 * mid-flight.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomInt, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, afterEach, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { pino } from "pino";
import { ManualClock } from "../../src/clock.js";
import { DEFAULT_THROTTLE_KEY_PREFIX, RedisFailureStore } from "../../src/abuse/redis-failure-store.js";
import { startGateway, type RunningGateway } from "../../src/http/server.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, soapEnvelope } from "../helpers/gateway.js";
import { serverUrl } from "../helpers/servers.js";
import { spawnServe, type ServeProcess } from "../helpers/serve-process.js";

const START = "2030-01-01T00:00:00Z";
const THROTTLE = { maxFailures: 3, windowSeconds: 60, cooldownSeconds: 120 };
const GATEWAY_YAML = `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: false
strict_security: false
throttle:
  max_failures: ${THROTTLE.maxFailures}
  window_seconds: ${THROTTLE.windowSeconds}
  cooldown_seconds: ${THROTTLE.cooldownSeconds}
`;
const INSERT = (number: string) => soapEnvelope("incident", "insert", `<number>${number}</number>`);
const ALICE = basicAuth("alice", "alice-password");
const ALICE_WRONG = basicAuth("alice", "guess");
const BOB_WRONG = basicAuth("bob", "guess");

interface Instance {
  readonly gateway: RunningGateway;
  readonly clock: ManualClock;
  readonly logLines: () => Record<string, unknown>[];
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
}

/** A gateway as one instance of a deployment: its own clock, SQLite file and log, the given Redis. */
async function startInstance(redisUrl: string, keyPrefix: string): Promise<Instance> {
  const clock = new ManualClock(START);
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const gateway = await startGateway({
    configDir: makeConfigDir({ gateway: GATEWAY_YAML }),
    host: "127.0.0.1",
    port: 0,
    store: `sqlite:${join(mkdtempSync(join(tmpdir(), "wss-brute-shared-db-")), "gateway.db")}`,
    replayCache: redisUrl,
    throttleKeyPrefix: keyPrefix,
    clock,
    logger: pino({ level: "debug", base: undefined }, destination),
  });
  const logLines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { gateway, clock, logLines };
}

/** POST /incident.do?SOAP from a chosen loopback address. */
function postFrom(localAddress: string, instance: Instance, authorization: string, number = "GUESS"): Promise<Answer> {
  const body = INSERT(number);
  const headers = { "Content-Type": "text/xml; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)), Authorization: authorization };
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: instance.gateway.port, path: "/incident.do?SOAP", method: "POST", localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function lastAudit(instance: Instance): Record<string, unknown> {
  return instance.logLines().filter((line) => line.msg === "request").at(-1)!.audit as Record<string, unknown>;
}

async function metricsText(instance: Instance): Promise<string> {
  return (await fetch(`${instance.gateway.url}/metrics`)).text();
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found.sort();
}

const shared = serverUrl("WSS_TEST_REDIS_URL");

describe("two instances sharing one Redis", { skip: "skip" in shared ? shared.skip : false }, () => {
  // A logical database of its own: these instances' clocks stand in 2030, and the replay epoch
  // marker they set (SPEC §7) would make every other test on this Redis "created before the epoch".
  const redisUrl = "url" in shared ? `${shared.url.replace(/\/\d*$/, "")}/7` : "";
  let inspector: Redis;
  let keyPrefix: string;
  let instances: Instance[] = [];

  const twoInstances = async (): Promise<[Instance, Instance]> => {
    keyPrefix = `wss-gateway-test:throttle:${randomUUID()}:`;
    instances = [await startInstance(redisUrl, keyPrefix), await startInstance(redisUrl, keyPrefix)];
    return [instances[0]!, instances[1]!];
  };
  const advanceBoth = (seconds: number) => instances.forEach((instance) => instance.clock.advanceSeconds(seconds));

  before(() => {
    inspector = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    await Promise.all(instances.map((instance) => instance.gateway.close()));
    instances = [];
    await deleteKeys(inspector, keyPrefix);
  });
  after(async () => {
    await inspector.quit();
  });

  test("failures split across the instances add up to one block: 2 on A + 1 on B → the address is refused 429 by both, Retry-After the cool-down", async () => {
    const [a, b] = await twoInstances();
    for (const [instance, i] of [[a, 1], [a, 2], [b, 3]] as const) {
      assert.equal((await postFrom("127.0.1.2", instance, BOB_WRONG)).status, 401, `failure ${i}`);
    }
    for (const instance of [a, b]) {
      const blocked = await postFrom("127.0.1.2", instance, ALICE);
      assert.deepEqual(blocked, { status: 429, retryAfter: "120" });
      assert.deepEqual(lastAudit(instance).throttle, { kind: "refused", scope: "address", retryAfterSeconds: 120 });
    }
    assert.equal((await postFrom("127.0.1.3", b, ALICE, "INC-OTHER")).status, 200, "another address is still served");
  });

  test("each instance alone below max_failures, together at it: without sharing neither would block", async () => {
    const [a, b] = await twoInstances();
    assert.equal((await postFrom("127.0.1.4", a, BOB_WRONG)).status, 401);
    assert.equal((await postFrom("127.0.1.4", b, BOB_WRONG)).status, 401);
    assert.equal((await postFrom("127.0.1.4", a, ALICE, "INC-STILL-OPEN")).status, 200, "two failures: still open");
    assert.equal((await postFrom("127.0.1.4", b, BOB_WRONG)).status, 401);
    assert.equal((await postFrom("127.0.1.4", a, ALICE)).status, 429);
  });

  test("the cool-down ends on both instances: Retry-After counts down on each, then both serve the address again", async () => {
    const [a, b] = await twoInstances();
    for (const instance of [a, b, a]) assert.equal((await postFrom("127.0.1.5", instance, BOB_WRONG)).status, 401);
    advanceBoth(119);
    assert.deepEqual(await postFrom("127.0.1.5", a, ALICE), { status: 429, retryAfter: "1" });
    assert.deepEqual(await postFrom("127.0.1.5", b, ALICE), { status: 429, retryAfter: "1" });
    advanceBoth(1);
    assert.equal((await postFrom("127.0.1.5", a, ALICE, "INC-A")).status, 200);
    assert.equal((await postFrom("127.0.1.5", b, ALICE, "INC-B")).status, 200);
  });

  test("failures older than window_seconds no longer count, whichever instance saw them", async () => {
    const [a, b] = await twoInstances();
    assert.equal((await postFrom("127.0.1.6", a, BOB_WRONG)).status, 401);
    assert.equal((await postFrom("127.0.1.6", b, BOB_WRONG)).status, 401);
    advanceBoth(61);
    assert.equal((await postFrom("127.0.1.6", b, BOB_WRONG)).status, 401);
    assert.equal((await postFrom("127.0.1.6", a, BOB_WRONG)).status, 401);
    assert.equal((await postFrom("127.0.1.6", b, ALICE, "INC-OK")).status, 200);
  });

  test("per-user counts are shared: failures for one name from three addresses over both instances slow it (250, 500, 750 ms), then lock it on both", async () => {
    const [a, b] = await twoInstances();
    const addresses = ["127.0.1.10", "127.0.1.11", "127.0.1.12"];
    for (let i = 0; i < 6; i++) {
      const instance = i % 2 === 0 ? a : b;
      assert.equal((await postFrom(addresses[i % 3]!, instance, ALICE_WRONG)).status, 401, `failure ${i + 1}`);
      const expectedDelayMs = [0, 0, 0, 250, 500, 750][i]!;
      assert.deepEqual(lastAudit(instance).throttle, expectedDelayMs === 0 ? undefined : { kind: "slowed", scope: "user", delayMs: expectedDelayMs }, `failure ${i + 1}`);
    }
    for (const instance of [a, b]) {
      assert.deepEqual(await postFrom("127.0.1.13", instance, ALICE), { status: 429, retryAfter: "120" });
      assert.deepEqual(lastAudit(instance).throttle, { kind: "refused", scope: "user", retryAfterSeconds: 120 });
    }
    assert.equal((await postFrom("127.0.1.13", b, basicAuth("bob", "bob-password"), "INC-BOB")).status, 200, "other users are not affected");
    advanceBoth(120);
    assert.equal((await postFrom("127.0.1.13", a, ALICE, "INC-ALICE")).status, 200);
    assert.equal(lastAudit(a).throttle, undefined);
  });

  test("/metrics of either instance shows the deployment's blocked addresses and user names", async () => {
    const [a, b] = await twoInstances();
    for (let i = 0; i < 6; i++) assert.equal((await postFrom(`127.0.1.${20 + (i % 2)}`, i < 3 ? a : b, ALICE_WRONG)).status, 401);
    // 127.0.1.20 and 127.0.1.21 have 3 failures each (blocked), alice 6 (blocked).
    for (const instance of [a, b]) {
      const text = await metricsText(instance);
      assert.match(text, /^wss_gateway_throttle_blocked\{scope="address"\} 2$/m);
      assert.match(text, /^wss_gateway_throttle_blocked\{scope="user"\} 1$/m);
    }
    advanceBoth(120);
    assert.match(await metricsText(b), /^wss_gateway_throttle_blocked\{scope="address"\} 0$/m, "blocks that ended by the gateway's clock are not counted");
  });

  test("Redis holds hashed keys only, each with an expiry, and at most the block limit of failure times per key", async () => {
    keyPrefix = `wss-gateway-test:throttle:${randomUUID()}:`;
    const clock = new ManualClock(START);
    const stores = await Promise.all([RedisFailureStore.connect(redisUrl, clock, { keyPrefix }), RedisFailureStore.connect(redisUrl, clock, { keyPrefix })]);
    try {
      // 40 failures at once over two connections: the script is atomic, so the count is exact and trimmed.
      await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.recordFailure({ clientAddress: "192.0.2.7", userName: "alice@example.test" }, THROTTLE)));
      const keys = await keysUnder(inspector, keyPrefix);
      assert.equal(keys.length, 4, "address and user: failures and block each");
      for (const key of keys) {
        assert.doesNotMatch(key, /alice|example|192\.0\.2\.7/);
        assert.match(key, new RegExp(`^${keyPrefix}(address|user):\\{[A-Za-z0-9_-]{43}\\}:(failures|block)$`));
        assert.ok((await inspector.pttl(key)) > 0, `${key} expires`);
      }
      const failureCounts = await Promise.all(keys.filter((key) => key.endsWith(":failures")).map((key) => inspector.zcard(key)));
      assert.deepEqual(failureCounts.sort(), [THROTTLE.maxFailures, THROTTLE.maxFailures * 2].sort());
      assert.deepEqual(await stores[1]!.checkAddress("192.0.2.7"), { kind: "blocked", retryAfterSeconds: 120 });
      assert.deepEqual(await stores[0]!.checkUser("alice@example.test", THROTTLE), { kind: "blocked", retryAfterSeconds: 120 });
      assert.deepEqual(await stores[0]!.blockedCounts(), { addresses: 1, users: 1 });
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

/** A free loopback port (there is a small race until redis-server binds it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the shared Redis fails mid-flight", { skip: "skip" in shared ? shared.skip : false }, () => {
  let redisServer: ChildProcess;
  let redisUrl: string;
  before(async () => {
    const port = await freePort();
    redisServer = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    redisUrl = `redis://127.0.0.1:${port}`;
    const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await delay(100);
      }
    }
    await probe.quit();
  });
  after(() => {
    if (redisServer.exitCode === null) redisServer.kill("SIGKILL");
  });

  test("the throttle store fails closed: wrong and right passwords alike get 503 + Retry-After (a guess learns nothing, nothing is written), one error line, every failed check counted", async () => {
    const instance = await startInstance(redisUrl, `wss-gateway-test:throttle:${randomUUID()}:`);
    try {
      assert.equal((await postFrom("127.0.1.30", instance, BOB_WRONG)).status, 401, "counted while Redis is up");
      const exited = new Promise((resolve) => redisServer.once("exit", resolve));
      redisServer.kill("SIGKILL");
      await exited;

      for (let i = 0; i < 4; i++) {
        const answer = await postFrom("127.0.1.30", instance, BOB_WRONG);
        assert.equal(answer.status, 503, `wrong password ${i + 1}: neither 401 nor admitted`);
        assert.ok(Number(answer.retryAfter) > 0, "Retry-After");
      }
      assert.equal((await postFrom("127.0.1.30", instance, ALICE, "INC-DURING-OUTAGE")).status, 503, "a right password is not admitted unthrottled either");
      assert.equal(lastAudit(instance).fault, "unavailable");

      const errors = instance.logLines().filter((line) => line.level === 50 && line.dependency === "throttle store");
      assert.equal(errors.length, 1, "logged once, not per request");
      assert.equal(errors[0]!.msg, "throttle store unavailable: requests that need it get 503 Service temporarily unavailable");
      const text = await metricsText(instance);
      // Each request stops at the address check, before its body is read.
      assert.match(text, /^wss_gateway_throttle_store_unavailable_total\{operation="check"\} 5$/m);
      assert.match(text, /^wss_gateway_throttle_store_unavailable_total\{operation="record"\} 0$/m);
      assert.match(text, /^wss_gateway_dependency_errors_total\{dependency="throttle_store"\} 5$/m);
      assert.match(text, /^wss_gateway_throttle_blocked\{scope="address"\} NaN$/m, "no number rather than a false 0");
    } finally {
      await instance.gateway.close();
    }
  });
});

/** POST on a new connection from a chosen loopback address, tagged with a request id to find its worker. */
function postToServe(served: ServeProcess, localAddress: string, authorization: string, requestId: string): Promise<Answer> {
  const body = INSERT("GUESS");
  const target = new URL(served.url);
  const headers = { "Content-Type": "text/xml; charset=utf-8", Authorization: authorization, "X-Request-Id": requestId, Connection: "close" };
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: "/incident.do?SOAP", method: "POST", localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("serve --workers 2 with Redis", { skip: "skip" in shared ? shared.skip : false }, () => {
  const redisUrl = "url" in shared ? shared.url : "";
  // The real clock and the default key prefix: a fresh address and user name each run keep runs apart.
  const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const intruder = `intruder-${randomUUID()}`;
  let served: ServeProcess;

  before(async () => {
    const configDir = makeConfigDir({ gateway: GATEWAY_YAML.replace("cooldown_seconds: 120", "cooldown_seconds: 60") });
    const dbPath = join(mkdtempSync(join(tmpdir(), "wss-brute-workers-db-")), "gateway.db");
    served = await spawnServe(["--config", configDir, "--store", `sqlite:${dbPath}`, "--workers", "2", "--replay-cache", redisUrl], {
      readyMessage: "wss-gateway workers listening",
      timeoutMs: 60_000, // two workers through tsx on a busy machine
    });
  });
  after(async () => {
    if (served.child.exitCode === null) {
      served.child.kill("SIGKILL");
      await served.exited;
    }
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const hashed = (key: string) => createHash("sha256").update(key).digest("base64url");
    const bases = [`address:{${hashed(address)}}`, `user:{${hashed(intruder)}}`];
    await redis.del(...bases.flatMap((base) => [`${DEFAULT_THROTTLE_KEY_PREFIX}${base}:failures`, `${DEFAULT_THROTTLE_KEY_PREFIX}${base}:block`]));
    await redis.quit();
  });

  test("max_failures failures landing on both workers block the address on every worker (not max_failures per worker)", async () => {
    const workerOf = (requestId: string): unknown =>
      served.logLines().find((line) => (line.audit as { requestId?: string } | undefined)?.requestId === requestId)?.worker;
    const wrong = basicAuth(intruder, "guess");
    const ids = (kind: string, count: number) => Array.from({ length: count }, (_, i) => `${kind}-${process.pid}-${i}`);
    const failed = ids("fail", THROTTLE.maxFailures);
    for (const id of failed) assert.equal((await postToServe(served, address, wrong, id)).status, 401, id);
    const refused = ids("refused", 4);
    for (const id of refused) assert.deepEqual(await postToServe(served, address, ALICE, id), { status: 429, retryAfter: "60" }, id);
    await delay(200); // the workers' log lines reach our pipe
    const failedOn = new Set(failed.map(workerOf));
    const refusedOn = new Set(refused.map(workerOf));
    assert.equal(failedOn.size, 2, "the failures were spread over both workers");
    assert.equal(refusedOn.size, 2, "both workers refused the address");
  });
});
