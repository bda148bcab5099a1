/**
 * Where a served request allocates: the gateway started in-process
 * (`startGateway`, SQLite file, memory replay cache, audit log discarded), a
 * worker thread signs fresh copies of one bench envelope and sends them over
 * keep-alive connections, and the main thread's V8 sampling heap profiler
 * runs over the measured requests **counting objects already collected**
 * (minor and major GC), so the figure is what each request allocates, not
 * what stays (`--survivors`: only objects that outlived a scavenge, i.e.
 * what the young generation copies). Prints bytes per request by function
 * and by file. `--log FILE` sends the audit log there through
 * pino's asynchronous destination, as `serve` does to its stdout (a FIFO
 * read by `cat` stands for the pipe). Not a test: figures only.
 *
 *   flock /tmp/bench.lock taskset -c 1 node --import tsx bench/alloc-profile.ts --shape element --size 6k --requests 3000 [--survivors]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import pino from "pino";
import { Worker } from "node:worker_threads";
import { loadBuild } from "./ab-builds.js";
import { BENCH_USER, makeKeys, makeShapedEnvelope, parseSize, writeConfigDir } from "./fixtures.js";

const { values } = parseArgs({
  options: {
    shape: { type: "string", default: "element" },
    size: { type: "string", default: "6k" },
    requests: { type: "string", default: "3000" },
    connections: { type: "string", default: "8" },
    interval: { type: "string", default: "4096" },
    top: { type: "string", default: "30" },
    log: { type: "string" },
    survivors: { type: "boolean", default: false },
  },
});
const here = resolve(new URL("..", import.meta.url).pathname);
const keys = makeKeys();
const configDir = writeConfigDir(keys);
const envelope = makeShapedEnvelope(keys, values.shape as "element" | "text", values.size!, parseSize(values.size!));
const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-alloc-"));
const build = await loadBuild(here);
const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const gateway = await build.server.startGateway({ configDir, host: "127.0.0.1", port: 0, store: `sqlite:${join(dataDir, "a.db")}`, replayCache: "memory", logger: build.logger.createLogger({ level: "info", destination: values.log === undefined ? discard : (pino.destination({ dest: values.log, sync: false }) as unknown as NodeJS.WritableStream) }) });
const boot = `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))}; register(); await import(${JSON.stringify(new URL("./ab-gateways.ts", import.meta.url).href)});`;
const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
  workerData: { keys, envelope: { ...envelope, bytes: undefined }, connections: Number(values.connections), user: BENCH_USER },
});
const run = (requests: number) =>
  new Promise<number>((done, reject) => {
    worker.once("message", (message: { ok: boolean; error?: string; ms: number }) => (message.ok ? done(message.ms) : reject(new Error(message.error))));
    worker.postMessage({ url: gateway.url, requests });
  });
const session = new Session();
session.connect();
try {
  await run(1000); // warm-up
  const requests = Number(values.requests);
  await session.post("HeapProfiler.startSampling", { samplingInterval: Number(values.interval), includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !values.survivors } as never);
  await run(requests);
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: Node } };
  interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  const walk = (node: Node) => {
    const file = node.callFrame.url.replace(/^.*\/(src|node_modules)\//, "$1/") || "(native)";
    const key = `${node.callFrame.functionName || "(anonymous)"} ${file}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
    byFile.set(file, (byFile.get(file) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const top = Number(values.top);
  console.log(`${values.shape} ${values.size}: ${(total / requests / 1024).toFixed(1)} KB ${values.survivors ? "outliving a scavenge" : "allocated"} per request (sampled)`);
  for (const [key, bytes] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${(bytes / requests).toFixed(0).padStart(7)} B  ${key}`);
  console.log("by file:");
  for (const [key, bytes] of [...byFile].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${(bytes / requests).toFixed(0).padStart(7)} B  ${key}`);
} finally {
  session.disconnect();
  await worker.terminate();
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  rmSync(keys.dir, { recursive: true, force: true });
}
