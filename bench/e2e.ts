/**
 * `npm run bench:e2e` — the end-to-end figures of issue 14, against the real
 * CLI (`wss-gateway serve` as a child process, SQLite store in a temporary
 * directory, audit log on its stdout, read and discarded):
 *
 *   single   one worker pinned to `--gateway-cpu`, requests/s over
 *            `--connections` keep-alive connections from this process pinned
 *            to `--client-cpu`: HTTP Basic + WS-Security (signature,
 *            Timestamp, replay) + roles/ACLs + the SQLite insert + the
 *            response, for two envelope shapes (element-heavy insertMultiple,
 *            text-heavy insert of one long column) at each size; against
 *            Apache WSS4J verifying the same envelope bytes on the same CPU:
 *            for each envelope the gateway first admits one copy, WSS4J
 *            (one JVM for the whole run, warmed up until consecutive 1 s
 *            rounds agree) then verifies exactly those bytes, and their
 *            rounds alternate (WSS4J, gateway, WSS4J, ...) so that both
 *            see the same load from the rest of the machine. Besides
 *            wall-clock rates, both are also given per second of their own
 *            process CPU time (/proc for the gateway, the JVM's own count).
 *   workers  `serve --workers 2` against `serve --workers 1`, both with a
 *            Redis replay cache (a redis-server of its own), signed 6 KB
 *            insertMultiple (both workers write one SQLite file) and a
 *            signed `get` (a read: no write lock), not pinned (client,
 *            Redis and the workers share every CPU); both run at once and
 *            their rounds alternate.
 *   rss      peak RSS (VmHWM) of one `serve` process while `--rss-requests`
 *            signed 1 MB requests arrive at once, each on its own connection.
 *
 * `--store-sync full,normal` measures single and workers with each SQLite
 * `synchronous` level (default: full only). full is `serve`'s default: one
 * fsync of the WAL per commit, which better-sqlite3 waits for on the event
 * loop; normal syncs at checkpoints only (durable across a process crash,
 * not a power loss). rss uses the first level.
 *
 * Every request is a fresh signed copy (bench/restamp.ts: new Timestamp and
 * SignatureValue, so the real replay cache admits it) and every answer must
 * be HTTP 200, or the bench stops. Traffic only to 127.0.0.1; every phase is
 * bounded in requests and time. Run it under the bench lock:
 *
 *   flock /tmp/bench.lock npm run bench:e2e -- [--parts single,workers,rss] [--shapes element,text]
 *     [--sizes 6k,100k,1m] [--seconds 1.5] [--rounds 5] [--connections 8] [--gateway-cpu 1] [--client-cpu 0]
 *     [--wss4j-warmup 15] [--settle 0.05] [--workers-connections 8] [--workers-size 6k] [--workers-ops insertMultiple,get]
 *     [--rss-requests 50] [--rss-size 1m] [--rss-shapes element,text] [--store-sync full|normal|full,normal]
 *     [--gateway-profile DIR]  (the one-worker gateway writes a .cpuprofile there when it stops)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startOwnRedis } from "../test/helpers/own-servers.js";
import { BENCH_USER, ENVELOPE_SHAPES, makeKeys, makeShapedEnvelope, makeSignedGetEnvelope, parseSize, writeConfigDir, type BenchKeys, type EnvelopeShape } from "./fixtures.js";
import { postSoap, sendAll } from "./http.js";
import type { MeasureOptions, Throughput } from "./measure.js";
import { restamper, type Restamper } from "./restamp.js";
import { cpuSeconds, peakRssMb, servedCode, serveGateway, type ServedGateway } from "./serve.js";
import { startWss4jSession, wss4jMissing } from "./wss4j/wss4j.js";

/** Issue 14's end-to-end targets, gateway/WSS4J, by shape and size label. */
const TARGETS: Readonly<Record<EnvelopeShape, Readonly<Record<string, number>>>> = {
  text: { "6k": 0.6, "100k": 0.9, "1m": 0.9 },
  element: { "6k": 0.6, "100k": 0.35, "1m": 0.35 },
};
const WORKERS_TARGET = 1.7;
const RSS_TARGET_MB = 512;
/** Request bodies kept ready for one round at most (the batch is sized from the last rate). */
const MAX_ROUND_BYTES = 256 * 1024 * 1024;
const AUTHORIZATION = `Basic ${Buffer.from(`${BENCH_USER.name}:${BENCH_USER.password}`).toString("base64")}`;

const { values } = parseArgs({
  options: {
    parts: { type: "string", default: "single,workers,rss" },
    shapes: { type: "string", default: "element,text" },
    sizes: { type: "string", default: "6k,100k,1m" },
    seconds: { type: "string", default: "1.5" },
    rounds: { type: "string", default: "5" },
    connections: { type: "string", default: "8" },
    "gateway-cpu": { type: "string", default: "1" },
    "client-cpu": { type: "string", default: "0" },
    "wss4j-warmup": { type: "string", default: "15" },
    settle: { type: "string", default: "0.05" },
    "workers-connections": { type: "string", default: "8" },
    "workers-size": { type: "string", default: "6k" },
    "workers-ops": { type: "string", default: "insertMultiple,get" },
    "rss-requests": { type: "string", default: "50" },
    "rss-size": { type: "string", default: "1m" },
    "rss-shapes": { type: "string", default: "element,text" },
    "store-sync": { type: "string", default: "full" },
    "gateway-profile": { type: "string" },
  },
  strict: true,
});

/** `--gateway-profile DIR`: the one-worker gateway writes a CPU profile there when it stops (node --cpu-prof). */
function profileArgs(): string[] {
  const dir = values["gateway-profile"];
  return dir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", dir];
}

type StoreSync = "full" | "normal";

/** `--store-sync`: the SQLite `synchronous` levels to measure (full = the default of `serve`: one fsync per commit). */
function syncModes(): StoreSync[] {
  return list(values["store-sync"], ["full", "normal"]) as StoreSync[];
}

interface Options extends MeasureOptions {
  readonly connections: number;
}

interface Served extends Throughput {
  readonly p50Ms: number;
  /** The gateway process's CPU time over the rounds' wall time (below 1: it waited for the disk, the client, or a CPU). */
  readonly busy?: number;
  /** The same for this process, the client (near 1: the client may be what limits the rate). */
  readonly clientBusy: number;
  /** The same for other processes accounted by name (Redis). */
  readonly othersBusy: Readonly<Record<string, number>>;
  /** CPUs left idle on the whole machine over the rounds (from /proc/stat; 0 to the number of CPUs). */
  readonly machineIdle: number;
}

/** The processes of a served gateway (the primary and its workers), and others whose CPU is reported beside it. */
interface ProcessAccounts {
  readonly gateway: readonly number[];
  readonly others: Readonly<Record<string, readonly number[]>>;
}

/** A process and its descendants, from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children = children.concat(readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    return [];
  }
  return [pid, ...children.flatMap(processTree)];
}

function sumCpu(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuSeconds(pid);
    } catch {
      // exited since it was listed
    }
  }
  return total;
}

/** Idle CPU-seconds of the whole machine so far (idle + iowait of /proc/stat's first line). */
function machineCpu(): { idle: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3]! + fields[4]!) / clockTicksPerSecond() };
}

let ticks: number | undefined;
function clockTicksPerSecond(): number {
  ticks ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim());
  return ticks;
}

async function main(): Promise<void> {
  const parts = list(values.parts, ["single", "workers", "rss"]);
  const shapes = list(values.shapes, ENVELOPE_SHAPES) as EnvelopeShape[];
  const sizes = values.sizes.split(",").map((label) => ({ label: label.trim(), bytes: parseSize(label) }));
  const options: Options = {
    seconds: positive(values.seconds, "--seconds"),
    rounds: Math.round(positive(values.rounds, "--rounds")),
    warmupSeconds: Math.min(1, positive(values.seconds, "--seconds")),
    connections: Math.round(positive(values.connections, "--connections")),
  };
  for (const cpu of [values["gateway-cpu"], values["client-cpu"]]) if (!/^[0-9]+$/.test(cpu)) throw new Error("--gateway-cpu and --client-cpu take one CPU number");
  syncModes();

  const keys = makeKeys();
  const configDir = writeConfigDir(keys);
  const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-e2e-"));
  const store = (name: string, sync: StoreSync) => `sqlite:${join(dataDir, `${name}-${sync}.db`)}?synchronous=${sync}`;
  const allCpus = ownAffinity();
  try {
    console.log(`node ${process.version}, ${availableParallelism()} CPU(s) [${allCpus}]; gateway code: ${servedCode()}; ${new Date().toISOString()}`);
    if (parts.includes("single")) await single(keys, configDir, store, shapes, sizes, options);
    setAffinity(allCpus);
    if (parts.includes("workers")) await workers(keys, configDir, store, { ...options, connections: Math.round(positive(values["workers-connections"], "--workers-connections")) });
    if (parts.includes("rss")) await rss(keys, configDir, store);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
    rmSync(keys.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------ single: one worker against WSS4J

async function single(keys: BenchKeys, configDir: string, store: (name: string, sync: StoreSync) => string, shapes: readonly EnvelopeShape[], sizes: readonly { label: string; bytes: number }[], options: Options): Promise<void> {
  const gatewayCpu = values["gateway-cpu"];
  setAffinity(values["client-cpu"]);
  const cases = shapes.flatMap((shape) => sizes.map((size) => ({ shape, label: size.label, template: makeShapedEnvelope(keys, shape, `${shape} ${size.label}`, size.bytes) })));
  console.log(
    `\n## One worker against WSS4J, both on CPU ${gatewayCpu}, rounds interleaved (WSS4J, gateway, WSS4J, ...); client on CPU ${values["client-cpu"]}; load average ${load()}`,
  );
  for (const c of cases) console.log(`  ${c.template.label}: ${c.template.bytes.length} bytes, ${c.template.elements} elements`);
  const missing = wss4jMissing();
  if (missing) console.log(`  WSS4J skipped: ${missing}`);
  const wss4j = missing ? undefined : await startWss4jSession(keys, { cpu: gatewayCpu });
  const warmupSeconds = positive(values["wss4j-warmup"], "--wss4j-warmup");
  const tolerance = positive(values.settle, "--settle");
  const rows: string[][] = [["per second (best / median)", ...cases.map((c) => `${c.template.label} (${kilobytes(c.template.bytes.length)})`)]];
  try {
    let first = true;
    for (const sync of syncModes()) {
      const gateway = await serveGateway(["--config", configDir, "--store", store("single", sync), "--replay-cache", "memory"], { cpu: gatewayCpu, nodeArgs: profileArgs() });
      const ours: Served[] = [];
      const theirs: (Throughput | undefined)[] = [];
      try {
        for (const c of cases) {
          const copy = restamper(keys, c.template);
          const runner = servedRunner(gateway.url, copy, c.template.bytes.length, options, gateway.pid);
          // The very bytes WSS4J verifies are first admitted by the gateway (stamped now: a
          // Timestamp created before the gateway's start is refused as expired by its replay epoch).
          const reference = Buffer.from(copy(), "utf8");
          await runner.send([reference]);
          const file = wss4j?.addEnvelope(`${c.template.label} ${sync}`, reference);
          if (wss4j && file) {
            const note = await wss4j.settle(file, first ? warmupSeconds : Math.min(2, warmupSeconds), warmupSeconds, tolerance);
            console.log(`  WSS4J warm-up ${c.template.label}: ${note}`);
            first = false;
          }
          await runner.warmUp();
          const peer: { perSecond: number; perCpuSecond: number | undefined }[] = [];
          for (let round = 0; round < options.rounds; round++) {
            if (wss4j && file) peer.push(await wss4j.round(file, options.seconds));
            await runner.round();
          }
          ours.push(runner.result());
          theirs.push(peer.length === 0 ? undefined : summarize(peer));
          console.error(`  measured ${c.template.label} (synchronous=${sync})`);
        }
      } finally {
        await gateway.stop();
      }
      rows.push(...singleRows(cases, sync, options, ours, theirs));
    }
  } finally {
    await wss4j?.close();
  }
  printTable(rows);
  console.log(`load average after: ${load()}`);
}

function summarize(rounds: readonly { perSecond: number; perCpuSecond: number | undefined }[]): Throughput {
  const rates = rounds.map((round) => round.perSecond).sort((a, b) => a - b);
  const cpu = rounds.map((round) => round.perCpuSecond).filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  return {
    bestPerSecond: rates.at(-1)!,
    medianPerSecond: rates[Math.floor(rates.length / 2)]!,
    iterations: rounds.length,
    ...(cpu.length > 0 ? { perCpuSecond: cpu[Math.floor(cpu.length / 2)]! } : {}),
  };
}

function singleRows(cases: readonly { shape: EnvelopeShape; label: string }[], sync: StoreSync, options: Options, ours: readonly Served[], theirs: readonly (Throughput | undefined)[]): string[][] {
  const ratio = (pick: (t: Throughput) => number | undefined) =>
    ours.map((served, index) => {
      const peer = theirs[index];
      const a = pick(served);
      const b = peer === undefined ? undefined : pick(peer);
      return a === undefined || b === undefined ? undefined : a / b;
    });
  const wall = ratio((t) => t.medianPerSecond);
  const cpu = ratio((t) => t.perCpuSecond);
  const target = (index: number) => TARGETS[cases[index]!.shape][cases[index]!.label];
  return [
    [`gateway end to end (SQLite synchronous=${sync}), 1 worker, ${options.connections} connections`, ...ours.map(formatThroughput)],
    ["  p50 latency (ms)", ...ours.map((served) => served.p50Ms.toFixed(1))],
    ["  per CPU-second of the gateway process", ...ours.map((served) => (served.perCpuSecond === undefined ? "-" : format(served.perCpuSecond)))],
    ["  gateway CPU busy (CPU time / wall time)", ...ours.map((served) => (served.busy === undefined ? "-" : percent(served.busy)))],
    ["  client CPU busy (the bench process)", ...ours.map((served) => percent(served.clientBusy))],
    ["Apache WSS4J 1.6 verify, same bytes, interleaved", ...theirs.map((peer) => (peer === undefined ? "-" : formatThroughput(peer)))],
    ["  per CPU-second of the JVM (median round)", ...theirs.map((peer) => (peer?.perCpuSecond === undefined ? "-" : format(peer.perCpuSecond)))],
    [`**ratio gateway / WSS4J, wall-clock medians**`, ...wall.map(times)],
    ["  target met (wall-clock)", ...wall.map((value, index) => `${verdict(value, target(index))} (≥ ${target(index) ?? "?"}×)`)],
    ["ratio per CPU-second", ...cpu.map(times)],
    ["  target met (per CPU-second)", ...cpu.map((value, index) => verdict(value, target(index)))],
  ];
}

// ------------------------------------------------------------ workers: --workers 2 against --workers 1

async function workers(keys: BenchKeys, configDir: string, store: (name: string, sync: StoreSync) => string, options: Options): Promise<void> {
  const operations = list(values["workers-ops"], ["insertMultiple", "get"]);
  const templates = operations.map((operation) =>
    operation === "get" ? makeSignedGetEnvelope(keys) : makeShapedEnvelope(keys, "element", `insertMultiple ${values["workers-size"]}`, parseSize(values["workers-size"])),
  );
  const redis = await startOwnRedis();
  console.log(
    `\n## serve --workers 2 against --workers 1, rounds interleaved (Redis replay cache, not pinned: client, Redis and workers share the CPUs); signed ${templates.map((t) => `${t.label} (${t.bytes.length} bytes)`).join(", ")}; load average ${load()}`,
  );
  try {
    const rows: string[][] = [
      [
        "per second (best / median)",
        `--workers 1`,
        `--workers 2`,
        "ratio (medians)",
        "target",
        "met",
        "gateway per CPU-second (1 / 2)",
        "ratio per CPU-second",
        "gateway busy, CPUs (1 / 2)",
        "client busy (1 / 2)",
        "Redis busy (1 / 2)",
        "machine idle, CPUs (1 / 2)",
      ],
    ];
    const redisPids = pidsListeningOn(redis.port);
    for (const sync of syncModes()) for (const template of templates) {
      // Both run at once (the one not measured is idle), and their rounds alternate.
      const gateways: ServedGateway[] = [];
      try {
        for (const count of [1, 2]) {
          gateways.push(await serveGateway(["--config", configDir, "--store", store(`workers-${count}`, sync), "--replay-cache", redis.url, "--workers", String(count)], { workers: count }));
        }
        const runners = gateways.map((gateway) =>
          servedRunner(gateway.url, restamper(keys, template), template.bytes.length, options, () => ({ gateway: processTree(gateway.pid), others: { redis: redisPids } })),
        );
        for (const runner of runners) await runner.warmUp();
        for (let round = 0; round < options.rounds; round++) for (const runner of runners) await runner.round();
        const [one, two] = runners.map((runner) => runner.result());
        const ratio = two!.medianPerSecond / one!.medianPerSecond;
        const pair = (f: (served: Served) => string) => `${f(one!)} / ${f(two!)}`;
        rows.push([
          `${template.label}, ${options.connections} connections, synchronous=${sync}`,
          formatThroughput(one!),
          formatThroughput(two!),
          `${ratio.toFixed(2)}×`,
          `≥ ${WORKERS_TARGET}×`,
          verdict(ratio, WORKERS_TARGET),
          pair((served) => format(served.perCpuSecond ?? 0)),
          times((two!.perCpuSecond ?? 0) / (one!.perCpuSecond ?? 1)),
          pair((served) => (served.busy ?? 0).toFixed(2)),
          pair((served) => percent(served.clientBusy)),
          pair((served) => percent(served.othersBusy.redis ?? 0)),
          pair((served) => served.machineIdle.toFixed(2)),
        ]);
      } finally {
        for (const gateway of gateways) await gateway.stop();
      }
      console.error(`  measured --workers 1 and 2, ${template.label} (synchronous=${sync})`);
    }
    printTable(rows);
    console.log(
      `The gateway's processes (primary and workers) are accounted from /proc; "busy" is CPU-seconds per second of wall time, out of ${availableParallelism()} CPUs ` +
        `shared by the gateway, this client, Redis and anything else running. Two workers can only go faster than one if the machine has idle CPU to give them ` +
        `(ratio per CPU-second near 1: each request costs two workers what it costs one).`,
    );
    console.log(`load average after: ${load()}`);
  } finally {
    await redis.stop();
  }
}

// ------------------------------------------------------------ rss: peak RSS under concurrent large requests

async function rss(keys: BenchKeys, configDir: string, store: (name: string, sync: StoreSync) => string): Promise<void> {
  const requests = Math.round(positive(values["rss-requests"], "--rss-requests"));
  const shapes = list(values["rss-shapes"], ENVELOPE_SHAPES) as EnvelopeShape[];
  console.log(`\n## Peak RSS of one serve process (CPU ${values["gateway-cpu"]}), ${requests} signed ${values["rss-size"]} requests at once, each on its own connection; load average ${load()}`);
  const rows: string[][] = [["shape", "bytes", "statuses", "p50 / max ms", "wall ms", "RSS at start MB", "peak RSS (VmHWM) MB", "target", "met"]];
  for (const shape of shapes) {
    const template = makeShapedEnvelope(keys, shape, `${shape} ${values["rss-size"]}`, parseSize(values["rss-size"]));
    const copy = restamper(keys, template);
    const gateway = await serveGateway(["--config", configDir, "--store", store(`rss-${shape}`, syncModes()[0]!), "--replay-cache", "memory"], { cpu: values["gateway-cpu"] });
    try {
      const bodies = Array.from({ length: requests }, () => Buffer.from(copy(), "utf8"));
      const atStart = peakRssMb(gateway.pid);
      const started = performance.now();
      const answers = await Promise.all(bodies.map((body) => postAlone(gateway, body)));
      const wallMs = performance.now() - started;
      const peak = peakRssMb(gateway.pid);
      const statuses: Record<number, number> = {};
      for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      const ms = answers.map((answer) => answer.ms).sort((a, b) => a - b);
      const allAdmitted = answers.every((answer) => answer.status === 200);
      rows.push([
        shape,
        String(template.bytes.length),
        Object.entries(statuses).map(([status, count]) => `${count} × ${status}`).join(", "),
        `${Math.round(ms[Math.floor(ms.length / 2)]!)} / ${Math.round(ms.at(-1)!)}`,
        String(Math.round(wallMs)),
        atStart.toFixed(0),
        peak.toFixed(0),
        `< ${RSS_TARGET_MB} MB`,
        allAdmitted ? (peak < RSS_TARGET_MB ? "yes" : "**no**") : "not all admitted",
      ]);
    } finally {
      await gateway.stop();
    }
    console.error(`  measured rss ${shape}`);
  }
  printTable(rows);
  console.log(`load average after: ${load()}`);
}

/** One request on a connection of its own; the status and the time to the whole answer. */
function postAlone(gateway: ServedGateway, body: Buffer): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const outgoing = request(
      `${gateway.url}/incident.do?SOAP`,
      { method: "POST", agent: false, headers: { "Content-Type": "text/xml; charset=utf-8", Authorization: AUTHORIZATION, "Content-Length": body.length, Connection: "close" } },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }));
        response.on("error", () => resolve({ status: -1, ms: performance.now() - started }));
      },
    );
    outgoing.setTimeout(180_000, () => outgoing.destroy(new Error("timed out")));
    outgoing.on("error", () => resolve({ status: -1, ms: performance.now() - started }));
    outgoing.end(body);
  });
}

// ------------------------------------------------------------ measurement

/**
 * Requests/s through a served gateway, in rounds: `warmUp` sends two batches
 * (one request per connection, then about one second's worth), each `round`
 * a batch sized for about `seconds` at the last round's rate (one request
 * per connection at least), every body re-stamped before its round starts;
 * every answer must be 200 (postSoap rejects otherwise). With the gateway's
 * pid, its CPU time over the rounds is read from /proc.
 */
/** `pid`: the gateway's process, or (`--workers N`) a function giving every process of it (the primary and its workers) and other processes to account. */
function servedRunner(url: string, copy: Restamper, bytes: number, options: Options, pid?: number | (() => ProcessAccounts)) {
  const latencies: number[] = [];
  const rates: number[] = [];
  const maxBatch = Math.max(options.connections, Math.floor(MAX_ROUND_BYTES / bytes));
  const batchFor = (seconds: number, rate: number) => Math.min(maxBatch, Math.max(options.connections, Math.round(seconds * rate)));
  const batch = (count: number) => Array.from({ length: count }, () => Buffer.from(copy(), "utf8"));
  let rate = 0;
  let iterations = 0;
  let cpu = 0;
  let clientCpu = 0;
  let wall = 0;
  let others: Record<string, number> = {};
  let idle = 0;
  /** Sends every body over fresh connections (one left idle while the next batch is stamped could be closed by the server's 5 s keep-alive timeout just as it is reused); returns requests/s. */
  const send = async (bodies: readonly Buffer[]): Promise<number> => {
    const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
    const post = async (body: Buffer) => {
      const started = performance.now();
      await postSoap(`${url}/incident.do?SOAP`, body, AUTHORIZATION, agent);
      latencies.push(performance.now() - started);
    };
    try {
      const started = performance.now();
      await sendAll(bodies, post, options.connections);
      return (bodies.length * 1000) / (performance.now() - started);
    } finally {
      agent.destroy();
    }
  };
  return {
    send,
    warmUp: async () => {
      rate = await send(batch(options.connections));
      rate = await send(batch(batchFor(options.warmupSeconds, rate)));
      latencies.length = 0;
    },
    round: async () => {
      const bodies = batch(batchFor(options.seconds, rate));
      const accounts = typeof pid === "function" ? pid() : undefined;
      const gatewayCpu = () => (pid === undefined ? 0 : typeof pid === "number" ? cpuSeconds(pid) : sumCpu(accounts!.gateway));
      const otherCpu = () => Object.fromEntries(Object.entries(accounts?.others ?? {}).map(([name, pids]) => [name, sumCpu(pids)]));
      const cpuBefore = gatewayCpu();
      const othersBefore = otherCpu();
      const machineBefore = machineCpu();
      const clientBefore = process.cpuUsage();
      rate = await send(bodies);
      const client = process.cpuUsage(clientBefore);
      clientCpu += (client.user + client.system) / 1e6;
      if (pid !== undefined) cpu += gatewayCpu() - cpuBefore;
      for (const [name, seconds] of Object.entries(otherCpu())) others[name] = (others[name] ?? 0) + seconds - othersBefore[name]!;
      const machineAfter = machineCpu();
      idle += machineAfter.idle - machineBefore.idle;
      wall += bodies.length / rate;
      rates.push(rate);
      iterations += bodies.length;
    },
    result: (): Served => {
      const sorted = [...rates].sort((a, b) => a - b);
      const waits = [...latencies].sort((a, b) => a - b);
      return {
        bestPerSecond: sorted.at(-1)!,
        medianPerSecond: sorted[Math.floor(sorted.length / 2)]!,
        iterations,
        p50Ms: waits[Math.floor(waits.length / 2)]!,
        clientBusy: clientCpu / wall,
        ...(cpu > 0 ? { perCpuSecond: iterations / cpu, busy: cpu / wall } : {}),
        othersBusy: Object.fromEntries(Object.entries(others).map(([name, seconds]) => [name, seconds / wall])),
        machineIdle: idle / wall,
      };
    },
  };
}

// ------------------------------------------------------------ helpers

/** This process's (and so its children's) CPU list, as taskset prints it. */
function ownAffinity(): string {
  const run = spawnSync("taskset", ["-c", "-p", String(process.pid)], { encoding: "utf8" });
  const match = /list:\s*(\S+)/.exec(run.stdout ?? "");
  if (!match) throw new Error(`taskset is needed (util-linux): ${run.error?.message ?? run.stderr}`);
  return match[1]!;
}

/** Pins every thread of this process to `cpus`; threads and children created later inherit it. */
function setAffinity(cpus: string): void {
  const run = spawnSync("taskset", ["-a", "-c", "-p", cpus, String(process.pid)], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`taskset -a -c -p ${cpus} failed: ${run.stderr}`);
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function times(ratio: number | undefined): string {
  return ratio === undefined ? "-" : `${ratio.toFixed(2)}×`;
}

function verdict(ratio: number | undefined, target: number | undefined): string {
  if (ratio === undefined || target === undefined) return "-";
  return ratio >= target ? "yes" : "**no**";
}

function printTable(lines: readonly string[][]): void {
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? "").length)));
  console.log("");
  for (const [index, line] of lines.entries()) {
    console.log(`| ${line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(" | ")} |`);
    if (index === 0) console.log(`|${widths.map((width, column) => (column === 0 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`);
  }
}

function formatThroughput(result: Throughput): string {
  return `${format(result.bestPerSecond)} / ${format(result.medianPerSecond)}`;
}

function format(perSecond: number): string {
  if (perSecond >= 100) return Math.round(perSecond).toLocaleString("en-US");
  if (perSecond >= 10) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

function kilobytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

function load(): string {
  return loadavg().map((value) => value.toFixed(1)).join(" / ");
}

function list(text: string, known: readonly string[]): string[] {
  const items = text.split(",").map((item) => item.trim());
  for (const item of items) if (!known.includes(item)) throw new Error(`unknown ${item}; known: ${known.join(", ")}`);
  return items;
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});

/** The redis-server of the bench (its process title names the port). */
function pidsListeningOn(port: number): number[] {
  const run = spawnSync("pgrep", ["-f", `redis-server 127.0.0.1:${port}`], { encoding: "utf8" });
  return run.stdout.trim().split("\n").filter(Boolean).map(Number);
}
