/**
 * Two builds of the gateway compared in one process, by CPU time: build A
 * (`--a`, a source tree, e.g. an export of main) and build B (`--b`, by
 * default this tree) are each started in-process by their own
 * `startGateway` (SQLite file in a temporary directory, memory replay
 * cache, audit log discarded); a worker thread signs fresh copies of one
 * bench envelope (`bench/restamp.ts`) and sends them over keep-alive
 * connections, in rounds that alternate A, B, A, B… For each round it
 * prints the **main thread's CPU time per request** (user + system from
 * /proc/self/task/<tid>/stat, so SQLite's fsync syscalls on the event loop
 * count; the client's and the signer's CPU do not) and requests per
 * second; then the medians. Interleaving cancels most of this machine's
 * drift (docs/performance.md). Not a test: figures only.
 *
 *   git archive main | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   taskset -c 1 node --import tsx bench/ab-gateways.ts --a /tmp/base --shape element --size 1m --requests 20 --rounds 5
 *
 * Options: `--shape element|text`, `--size 6k|100k|1m`, `--requests N` per
 * round, `--rounds N` per build, `--connections 8`, `--store-sync full|normal`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { loadBuild, mainThreadCpuUs, median } from "./ab-builds.js";

interface Job {
  readonly url: string;
  readonly requests: number;
}

const here = resolve(new URL("..", import.meta.url).pathname);

if (isMainThread) await main();
else await client();

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      a: { type: "string" },
      b: { type: "string", default: here },
      shape: { type: "string", default: "element" },
      size: { type: "string", default: "1m" },
      requests: { type: "string", default: "20" },
      rounds: { type: "string", default: "5" },
      connections: { type: "string", default: "8" },
      "store-sync": { type: "string", default: "full" },
    },
  });
  if (values.a === undefined) throw new Error("--a DIR (the source tree of build A) is required");
  const roots = { A: resolve(values.a), B: resolve(values.b!) };
  const fixtures = (await import(join(here, "bench/fixtures.ts"))) as typeof import("./fixtures.js");
  const keys = fixtures.makeKeys();
  const configDir = fixtures.writeConfigDir(keys);
  const envelope = fixtures.makeShapedEnvelope(keys, values.shape as "element" | "text", values.size!, fixtures.parseSize(values.size!));
  const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-ab-"));
  // Both builds' modules are loaded before either starts (each startGateway mends String.prototype after the loads).
  const modules = {
    A: await loadBuild(roots.A),
    B: await loadBuild(roots.B),
  };
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const gateways = {
    A: await modules.A.server.startGateway({ configDir, host: "127.0.0.1", port: 0, store: `sqlite:${join(dataDir, "a.db")}?synchronous=${values["store-sync"]}`, replayCache: "memory", logger: modules.A.logger.createLogger({ level: "info", destination: discard }) }),
    B: await modules.B.server.startGateway({ configDir, host: "127.0.0.1", port: 0, store: `sqlite:${join(dataDir, "b.db")}?synchronous=${values["store-sync"]}`, replayCache: "memory", logger: modules.B.logger.createLogger({ level: "info", destination: discard }) }),
  };
  // A worker does not inherit tsx's loader: it registers it, then loads this file.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))}; register(); await import(${JSON.stringify(import.meta.url)});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
    workerData: { keys, envelope: { ...envelope, bytes: undefined }, connections: Number(values.connections), user: fixtures.BENCH_USER },
  });
  const run = (job: Job) =>
    new Promise<number>((resolveRun, reject) => {
      worker.once("message", (message: { ok: boolean; error?: string; ms: number }) => (message.ok ? resolveRun(message.ms) : reject(new Error(message.error))));
      worker.postMessage(job);
    });
  const requests = Number(values.requests);
  const figures: Record<"A" | "B", { cpuUs: number[]; perSecond: number[] }> = { A: { cpuUs: [], perSecond: [] }, B: { cpuUs: [], perSecond: [] } };
  try {
    for (const name of ["A", "B"] as const) await run({ url: gateways[name].url, requests: Math.max(4, Math.ceil(requests / 2)) }); // warm-up
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const name of round % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const)) {
        const cpu0 = mainThreadCpuUs();
        const ms = await run({ url: gateways[name].url, requests });
        const cpu = mainThreadCpuUs() - cpu0;
        figures[name].cpuUs.push(cpu / requests);
        figures[name].perSecond.push((requests * 1000) / ms);
        console.log(`round ${round + 1} ${name}: ${(cpu / requests / 1000).toFixed(2)} ms CPU/request, ${((requests * 1000) / ms).toFixed(1)} req/s`);
      }
    }
    const a = median(figures.A.cpuUs);
    const b = median(figures.B.cpuUs);
    console.log(
      JSON.stringify({
        shape: values.shape,
        size: values.size,
        bytes: envelope.bytes.length,
        requests,
        rounds: Number(values.rounds),
        A: { root: roots.A, cpuMsPerRequest: round2(a / 1000), perSecond: round2(median(figures.A.perSecond)) },
        B: { root: roots.B, cpuMsPerRequest: round2(b / 1000), perSecond: round2(median(figures.B.perSecond)) },
        cpuRatioBoverA: round2(b / a),
      }),
    );
  } finally {
    await worker.terminate();
    await gateways.A.close();
    await gateways.B.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
    rmSync(keys.dir, { recursive: true, force: true });
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

async function client(): Promise<void> {
  const { restamper } = (await import(join(here, "bench/restamp.ts"))) as typeof import("./restamp.js");
  const data = workerData as { keys: import("./fixtures.js").BenchKeys; envelope: import("./fixtures.js").BenchEnvelope; connections: number; user: { name: string; password: string } };
  const copy = restamper(data.keys, data.envelope);
  const authorization = `Basic ${Buffer.from(`${data.user.name}:${data.user.password}`).toString("base64")}`;
  parentPort!.on("message", async (job: Job) => {
    // Fresh connections each round: the other build's round may outlast the server's keep-alive timeout.
    const agent = new Agent({ keepAlive: true, maxSockets: data.connections });
    try {
      const bodies = Array.from({ length: job.requests }, () => Buffer.from(copy(), "utf8"));
      const start = performance.now();
      let next = 0;
      const lane = async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const status = await post(`${job.url}/incident.do?SOAP`, body, authorization, agent);
          if (status !== 200) throw new Error(`HTTP ${status}`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(data.connections, bodies.length) }, lane));
      parentPort!.postMessage({ ok: true, ms: performance.now() - start });
    } catch (error) {
      parentPort!.postMessage({ ok: false, error: String(error), ms: 0 });
    } finally {
      agent.destroy();
    }
  });
}

function post(url: string, body: Buffer, authorization: string, agent: Agent): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "text/xml; charset=utf-8", "content-length": body.length, authorization, soapaction: '""' } }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolvePost(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
