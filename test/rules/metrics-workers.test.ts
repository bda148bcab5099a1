/**
 * /metrics with `serve --workers 2` (SPEC §7): whichever worker receives the
 * scrape answers the metrics of the whole deployment, aggregated by the
 * primary over the cluster IPC channel — counters and histograms summed,
 * gauges of shared state not doubled, Node's process metrics once per
 * worker with a `worker` label. When a worker cannot answer in time the
 * scrape is refused with 503 rather than answered with a partial sum.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, soapEnvelope } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { samples, value } from "../helpers/prometheus.js";
import { serverUrl } from "../helpers/servers.js";
import { exitWithin, postOnNewConnection, spawnServe, type PlainResponse, type ServeProcess } from "../helpers/serve-process.js";
import { gatewayYaml, policyYaml, x509ProfileYaml } from "../helpers/wss-config.js";

const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: basicAuth("alice", "alice-password") };
const SOAP_PATH = "/incident.do?SOAP";
const INSERTS = 30;
/** A logical Redis database of this test's own, so that the replay cache's size is only ours. */
const REDIS_DB = 13;


/** One GET on a new connection, so that consecutive scrapes may reach different workers; rejects after `timeoutMs`. */
function getOnNewConnection(url: string, path: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<PlainResponse & { contentType: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: "GET", agent: false, timeout: timeoutMs, headers: { ...headers, Connection: "close" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, contentType: String(res.headers["content-type"]) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

function opensslFingerprint(certPath: string): string {
  const output = execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" });
  return output.trim().split("=")[1]!.replaceAll(":", "").toLowerCase();
}

function opensslEndDate(certPath: string): Date {
  const output = execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-enddate"], { encoding: "utf8" });
  return new Date(output.trim().replace(/^notAfter=/, ""));
}

const redis = serverUrl("WSS_TEST_REDIS_URL");

describe("/metrics of two workers", { skip: "skip" in redis ? redis.skip : false }, () => {
  let partner: TestCertificate;
  let served: ServeProcess;
  let redisClient: Redis;
  let scrapesAnswered = 0;

  const auditWorkerOf = (requestId: string): unknown =>
    served.logLines().find((line) => (line.audit as { requestId?: string } | undefined)?.requestId === requestId)?.worker;
  const workerPids = (): Map<number, number> =>
    new Map(
      served
        .logLines()
        .filter((line) => line.msg === "wss-gateway listening")
        .map((line) => [line.worker as number, line.pid as number]),
    );
  /** A scrape on a new connection; the 200s are counted, since the workers count them as requests too. */
  const scrape = async (requestId: string) => {
    const response = await getOnNewConnection(served.url, "/metrics", { "X-Request-Id": requestId });
    if (response.status === 200) scrapesAnswered++;
    return response;
  };
  const replayEntriesInRedis = async (): Promise<number> => {
    let cursor = "0";
    let count = 0;
    do {
      const [next, keys] = await redisClient.scan(cursor, "MATCH", "wss-gateway:replay:*", "COUNT", 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== "0");
    return count;
  };

  before(async () => {
    const certDir = mkdtempSync(join(tmpdir(), "wss-metrics-workers-pki-"));
    partner = makeCertificate(certDir, "partner", { key: "rsa2048" });
    const configDir = makeConfigDir(
      {
        gateway: gatewayYaml(),
        profiles: `profiles:\n${x509ProfileYaml("Partner certificate", "certs/partner.pem")}`,
        policies: `policies:\n${policyYaml(["Partner certificate"])}`,
      },
      { "certs/partner.pem": partner.certPem },
    );
    const dbPath = join(mkdtempSync(join(tmpdir(), "wss-metrics-workers-db-")), "gateway.db");
    const redisUrl = new URL("url" in redis ? redis.url : "");
    redisUrl.pathname = `/${REDIS_DB}`;
    redisClient = new Redis(redisUrl.href, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redisClient.connect();
    served = await spawnServe(["--config", configDir, "--store", `sqlite:${dbPath}`, "--workers", "2", "--replay-cache", redisUrl.href], {
      readyMessage: "wss-gateway workers listening",
      env: { LOG_LEVEL: "debug" }, // the audit lines of /metrics requests are debug: they tell which worker answered
    });

    const numbers = Array.from({ length: INSERTS }, (_, i) => `MW-${process.pid}-${String(i).padStart(2, "0")}`);
    for (const number of numbers) {
      const signed = signEnvelope(soapEnvelope("incident", "insert", `<number>${number}</number>`), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
      const response = await postOnNewConnection(served.url, SOAP_PATH, signed, { ...HEADERS, "X-Request-Id": `insert-${number}` });
      assert.equal(response.status, 200, response.body);
    }
    await delay(200); // the workers' log lines reach our pipe
    const insertedBy = new Set(numbers.map((number) => auditWorkerOf(`insert-${number}`)));
    assert.deepEqual([...insertedBy].sort(), [1, 2], "both workers served some of the inserts");
  });

  after(async () => {
    redisClient?.disconnect();
    if (served && served.child.exitCode === null) {
      for (const pid of workerPids().values()) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // already gone
        }
      }
      served.child.kill("SIGTERM");
      await exitWithin(served, 20_000).catch(() => undefined);
    }
  });

  test(`6 scrapes after ${INSERTS} inserts: every one, from either worker, counts all requests of both workers`, async () => {
    const answeredBy = new Set<unknown>();
    for (let i = 0; i < 6; i++) {
      const earlierScrapes = scrapesAnswered;
      const requestId = `scrape-${process.pid}-${i}`;
      const response = await scrape(requestId);
      assert.equal(response.status, 200, response.body);
      assert.match(response.contentType, /^text\/plain; version=0\.0\.4/);
      const requests = samples(response.body, "wss_gateway_requests_total").filter((sample) => sample.value !== 0); // the rest are the zero series
      assert.deepEqual(requests, [{ labels: { outcome: "ok", fault: "", status: "200" }, value: INSERTS + earlierScrapes }], `scrape ${i}`);
      assert.equal(value(response.body, "wss_gateway_request_duration_seconds_count", { outcome: "ok" }), INSERTS + earlierScrapes);
      assert.equal(value(response.body, "wss_gateway_request_duration_seconds_bucket", { outcome: "ok", le: "+Inf" }), INSERTS + earlierScrapes);
      await delay(100);
      answeredBy.add(auditWorkerOf(requestId));
    }
    assert.deepEqual([...answeredBy].sort(), [1, 2], "both workers answered scrapes");
  });

  test("the replay cache is shared: its entries are counted once (the Redis count), not once per worker", async () => {
    const before = await replayEntriesInRedis();
    const response = await scrape(`scrape-replay-${process.pid}`);
    const after = await replayEntriesInRedis();
    assert.equal(response.status, 200, response.body);
    assert.ok(after >= INSERTS, `${after} entries in Redis`);
    const entries = samples(response.body, "wss_gateway_replay_cache_entries");
    assert.equal(entries.length, 1);
    assert.ok(entries[0]!.value <= before && entries[0]!.value >= after, `gauge ${entries[0]!.value}, Redis ${before}..${after}`);
  });

  test("certificate expiry is one series per certificate use, the seconds to notAfter (the minimum, not the workers' sum)", async () => {
    const response = await scrape(`scrape-expiry-${process.pid}`);
    assert.equal(response.status, 200, response.body);
    const expiry = samples(response.body, "wss_gateway_certificate_expiry_seconds");
    assert.equal(expiry.length, 1);
    assert.deepEqual(expiry[0]!.labels, { profile: "Partner certificate", user: "", path: "certs/partner.pem", fingerprint: opensslFingerprint(partner.certPath) });
    const expected = Math.floor((opensslEndDate(partner.certPath).getTime() - Date.now()) / 1000);
    assert.ok(Math.abs(expiry[0]!.value - expected) <= 5, `expiry ${expiry[0]!.value}, expected about ${expected}`);
    assert.deepEqual(samples(response.body, "wss_gateway_throttle_blocked").map((sample) => [sample.labels.scope, sample.value]).sort(), [["address", 0], ["user", 0]]);
  });

  test("process metrics are per worker, labelled with the worker id; reload counts too", async () => {
    served.child.kill("SIGHUP");
    const deadline = Date.now() + 15_000;
    while (served.logLines().filter((line) => line.msg === "configuration reloaded").length < 2 && Date.now() < deadline) await delay(50);
    const response = await scrape(`scrape-process-${process.pid}`);
    assert.equal(response.status, 200, response.body);
    const startTimes = samples(response.body, "process_start_time_seconds");
    assert.deepEqual(startTimes.map((sample) => sample.labels).sort((a, b) => a.worker!.localeCompare(b.worker!)), [{ worker: "1" }, { worker: "2" }]);
    assert.deepEqual(
      samples(response.body, "wss_gateway_config_reloads_total").map((sample) => [sample.labels.worker, sample.labels.result, sample.value]).sort(),
      [
        ["1", "failure", 0],
        ["1", "success", 1],
        ["2", "failure", 0],
        ["2", "success", 1],
      ],
    );
    assert.equal(samples(response.body, "process_cpu_user_seconds_total").length, 2);
  });

  test("a worker that does not answer (SIGSTOP): the scrape is refused with 503 and the reason after 2.5 s, not answered with a partial sum; after SIGCONT all is well", async () => {
    const secondPid = workerPids().get(2);
    assert.ok(secondPid !== undefined);
    let refused = 0;
    process.kill(secondPid, "SIGSTOP");
    try {
      // Connections alternate between the workers: the stopped one cannot answer, the other must within the bound.
      const attempts = await Promise.allSettled([0, 1].map((i) => getOnNewConnection(served.url, "/metrics", { "X-Request-Id": `scrape-stopped-${i}` }, 5_000)));
      const answers = attempts.filter((attempt) => attempt.status === "fulfilled").map((attempt) => attempt.value);
      assert.ok(answers.length >= 1, "the running worker answered");
      refused = answers.length;
      for (const answer of answers) {
        assert.deepEqual(
          { status: answer.status, contentType: answer.contentType, body: answer.body },
          { status: 503, contentType: "text/plain; charset=utf-8", body: "metrics of all workers unavailable: 1 of 2 workers answered within 2500 ms\n" },
        );
      }
    } finally {
      process.kill(secondPid, "SIGCONT");
    }
    await delay(500);
    const response = await scrape(`scrape-resumed-${process.pid}`);
    assert.equal(response.status, 200, response.body);
    // The stopped worker's own scrape is answered (and counted) after SIGCONT, though our client gave up on it.
    const counted = value(response.body, "wss_gateway_requests_total", { outcome: "ok", fault: "", status: "200" });
    assert.ok(counted === INSERTS + scrapesAnswered - 1 || counted === INSERTS + scrapesAnswered, `counted ${counted}`);
    assert.equal(value(response.body, "wss_gateway_requests_total", { outcome: "ok", fault: "", status: "503" }), refused);
  });
});

/** A throw-away redis-server of this test's own on a free loopback port, so that it can be killed. */
async function startOwnRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis-server did not start")), 10_000);
    child.stdout!.on("data", (chunk) => {
      if (String(chunk).includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return { url: `redis://127.0.0.1:${port}`, process: child };
}

describe("/metrics of two workers whose Redis went away", { skip: "skip" in redis ? redis.skip : false }, () => {
  let ownRedis: { url: string; process: ChildProcess };
  let served: ServeProcess;

  before(async () => {
    ownRedis = await startOwnRedis();
    const dbPath = join(mkdtempSync(join(tmpdir(), "wss-metrics-workers-db-")), "gateway.db");
    served = await spawnServe(["--config", makeConfigDir(), "--store", `sqlite:${dbPath}`, "--workers", "2", "--replay-cache", ownRedis.url], {
      readyMessage: "wss-gateway workers listening",
    });
  });

  after(async () => {
    if (ownRedis && ownRedis.process.exitCode === null) ownRedis.process.kill("SIGKILL");
    if (served && served.child.exitCode === null) {
      served.child.kill("SIGTERM");
      await exitWithin(served, 20_000).catch(() => undefined);
    }
  });

  test("the replay-cache gauge of every worker is NaN (unknown): the aggregate says NaN, not null or 0, and the scrape still answers 200", async () => {
    const exited = new Promise((resolve) => ownRedis.process.once("exit", resolve));
    ownRedis.process.kill("SIGKILL");
    await exited;
    const response = await getOnNewConnection(served.url, "/metrics", {});
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(samples(response.body, "wss_gateway_replay_cache_entries"), [{ labels: {}, value: Number.NaN }]);
    assert.match(response.body, /^wss_gateway_replay_cache_entries NaN$/m); // spelled as the exposition format does (prom-client alone writes "Nan")
  });
});
