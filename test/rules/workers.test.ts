/**
 * `serve --workers N` (SPEC §1): N processes share the port and one Redis
 * replay cache, so a signed request accepted by one worker is a replay for
 * every other; inserts from every worker land in the one SQLite file (WAL,
 * busy timeout). The primary refuses the per-process memory cache, forwards
 * SIGHUP and SIGTERM, and replaces a worker that dies.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import Database from "better-sqlite3";
import { restartBudget } from "../../src/cluster/restart-budget.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, soapEnvelope, textOf } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { serverUrl } from "../helpers/servers.js";
import { exitWithin, postOnNewConnection, spawnServe, type ServeProcess } from "../helpers/serve-process.js";
import { gatewayYaml, policyYaml, x509ProfileYaml } from "../helpers/wss-config.js";

const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: basicAuth("alice", "alice-password") };
const SOAP_PATH = "/incident.do?SOAP";

describe("--workers with the memory replay cache", () => {
  test("--workers 2 --replay-cache memory is refused at start-up with a clear message, exit 2", async () => {
    await assert.rejects(spawnServe(["--config", makeConfigDir(), "--workers", "2", "--replay-cache", "memory"]), (error: Error) => {
      assert.match(error.message, /serve exited \(2\) before it was ready/);
      assert.match(
        error.message,
        /serve: --replay-cache memory is only valid with one worker: each of the 2 workers would keep its own cache and accept a replay the others saw; use --replay-cache redis:\/\/…/,
      );
      return true;
    });
  });

  test("--workers 0 is a usage error, exit 2", async () => {
    await assert.rejects(spawnServe(["--config", makeConfigDir(), "--workers", "0"]), /serve exited \(2\)[\s\S]*--workers: expected a whole number from 1 to 64, got 0/);
  });
});

describe("the primary's start-up and restart budget", () => {
  test("an invalid configuration stops the primary before it forks: exit 1 with file:line problems", async () => {
    const configDir = makeConfigDir({ gateway: "basic_auth:\n  required: maybe\n" });
    await assert.rejects(
      spawnServe(["--config", configDir, "--workers", "2", "--replay-cache", "redis://127.0.0.1:1"]),
      /serve exited \(1\)[\s\S]*serve: the configuration is invalid:\ngateway\.yaml:2: basic_auth\.required: expected boolean, got string/,
    );
  });

  test("workers that cannot start (a store file that cannot be created) stop the primary: exit 1, not a restart loop", async () => {
    // An unreachable Redis or PostgreSQL does not stop a start (SPEC §1: /readyz says so); a store path under a file does.
    const notADirectory = join(mkdtempSync(join(tmpdir(), "wss-workers-db-")), "file");
    writeFileSync(notADirectory, "");
    const error = await spawnServe(["--config", makeConfigDir(), "--store", `sqlite:${notADirectory}/gateway.db`, "--workers", "2", "--replay-cache", "redis://127.0.0.1:1"]).then(
      () => assert.fail("the primary must not report listening workers"),
      (failure: Error) => failure.message,
    );
    assert.match(error, /serve exited \(1\) before it was ready/);
    assert.match(error, /"msg":"a worker failed to start; stopping"/);
    assert.doesNotMatch(error, /worker died unexpectedly/);
  });

  test("the restart budget allows 5 restarts in any 60 s, then refuses until the oldest leaves the window", () => {
    const budget = restartBudget(5, 60_000);
    assert.deepEqual([0, 1000, 2000, 3000, 4000].map((ms) => budget.allowRestart(ms)), [true, true, true, true, true]);
    assert.equal(budget.allowRestart(59_999), false);
    assert.equal(budget.allowRestart(60_000), true, "the restart at 0 ms has left the window");
    assert.equal(budget.allowRestart(60_500), false);
  });
});

const redis = serverUrl("WSS_TEST_REDIS_URL");

describe("two workers with the Redis replay cache", { skip: "skip" in redis ? redis.skip : false }, () => {
  let partner: TestCertificate;
  let served: ServeProcess;
  let dbPath: string;

  const signedInsert = (number: string) =>
    signEnvelope(soapEnvelope("incident", "insert", `<number>${number}</number><short_description>from a worker</short_description>`), {
      key: partner.keyPem,
      cert: partner.certPem,
      timestampSeconds: 300,
    });
  /** Which worker logged the audit line of this request id. */
  const workerOf = (requestId: string): unknown =>
    served.logLines().find((line) => (line.audit as { requestId?: string } | undefined)?.requestId === requestId)?.worker;
  const storedNumbers = (): string[] => {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(`SELECT number FROM "incident" ORDER BY number`).all() as { number: string }[]).map((row) => row.number);
    } finally {
      db.close();
    }
  };

  before(async () => {
    const certDir = mkdtempSync(join(tmpdir(), "wss-workers-pki-"));
    partner = makeCertificate(certDir, "partner", { key: "rsa2048" });
    const configDir = makeConfigDir(
      {
        gateway: gatewayYaml(),
        profiles: `profiles:\n${x509ProfileYaml("Partner certificate", "certs/partner.pem")}`,
        policies: `policies:\n${policyYaml(["Partner certificate"])}`,
      },
      { "certs/partner.pem": partner.certPem },
    );
    dbPath = join(mkdtempSync(join(tmpdir(), "wss-workers-db-")), "gateway.db");
    const redisUrl = "url" in redis ? redis.url : "";
    served = await spawnServe(["--config", configDir, "--store", `sqlite:${dbPath}`, "--workers", "2", "--replay-cache", redisUrl], {
      readyMessage: "wss-gateway workers listening",
    });
  });

  after(async () => {
    if (served.child.exitCode === null) {
      served.child.kill("SIGKILL");
      await served.exited;
    }
  });

  test("a signed request accepted by one worker is refused as replayed by the other worker too", async () => {
    const signed = signedInsert("REPLAY-1");
    const answers = [];
    for (let i = 0; i < 6; i++) {
      const requestId = `replay-${process.pid}-${i}`;
      const response = await postOnNewConnection(served.url, SOAP_PATH, signed, { ...HEADERS, "X-Request-Id": requestId });
      answers.push({ requestId, status: response.status, fault: textOf(response.body, "faultstring") });
    }
    assert.deepEqual(answers[0], { requestId: answers[0]!.requestId, status: 200, fault: undefined });
    for (const answer of answers.slice(1)) assert.deepEqual({ status: answer.status, fault: answer.fault }, { status: 500, fault: "WS-Security message replayed" });
    await delay(200); // the workers' log lines reach our pipe
    const acceptedBy = workerOf(answers[0]!.requestId);
    const refusedBy = new Set(answers.slice(1).map((answer) => workerOf(answer.requestId)));
    assert.ok(acceptedBy !== undefined && refusedBy.size > 0 && !refusedBy.has(undefined), "every answer has its worker's audit line");
    assert.ok([...refusedBy].some((worker) => worker !== acceptedBy), `replays were refused only by worker ${String(acceptedBy)}, which accepted it`);
    assert.deepEqual(storedNumbers().filter((number) => number.startsWith("REPLAY")), ["REPLAY-1"]);
  });

  test("40 signed inserts, 8 at a time on new connections: all answered 200 by both workers, all stored", async () => {
    const numbers = Array.from({ length: 40 }, (_, i) => `BOTH-${String(i).padStart(2, "0")}`);
    const handledBy = new Set<unknown>();
    let next = 0;
    const client = async () => {
      while (next < numbers.length) {
        const number = numbers[next++]!;
        const requestId = `both-${process.pid}-${number}`;
        const response = await postOnNewConnection(served.url, SOAP_PATH, signedInsert(number), { ...HEADERS, "X-Request-Id": requestId });
        assert.equal(response.status, 200, response.body);
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    await delay(200);
    for (const number of numbers) handledBy.add(workerOf(`both-${process.pid}-${number}`));
    assert.deepEqual([...handledBy].sort(), [1, 2]);
    assert.deepEqual(storedNumbers().filter((number) => number.startsWith("BOTH")), numbers);
  });

  test("SIGHUP to the primary reloads every worker; a killed worker is replaced; SIGTERM stops all, exit 0", async () => {
    served.child.kill("SIGHUP");
    await waitFor(() => served.logLines().filter((line) => line.msg === "configuration reloaded").length === 2, "both workers reloaded");
    assert.deepEqual(served.logLines().filter((line) => line.msg === "configuration reloaded").map((line) => line.worker).sort(), [1, 2]);

    const workerPid = served.logLines().find((line) => line.msg === "wss-gateway listening" && line.worker === 1)?.pid;
    assert.equal(typeof workerPid, "number");
    process.kill(workerPid as number, "SIGKILL");
    await waitFor(() => served.logLines().some((line) => line.msg === "wss-gateway listening" && line.worker === 3), "a third worker listening");
    const died = served.logLines().find((line) => line.msg === "worker died unexpectedly; starting a new one");
    assert.deepEqual({ worker: died?.worker, signal: died?.signal }, { worker: 1, signal: "SIGKILL" });
    const response = await postOnNewConnection(served.url, SOAP_PATH, signedInsert("AFTER-RESTART"), HEADERS);
    assert.equal(response.status, 200, response.body);

    served.child.kill("SIGTERM");
    assert.deepEqual(await exitWithin(served, 20_000), { code: 0, signal: null });
    const stopped = served.logLines().filter((line) => line.msg === "wss-gateway stopped");
    assert.deepEqual(stopped.map((line) => [line.worker, line.drained]).sort(), [[2, "drained"], [3, "drained"]]);
  });
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (condition()) return;
    await delay(50);
  }
  throw new Error(`timed out waiting for: ${what}`);
}
