/**
 * Where a served gateway's CPU goes, per thread: the real CLI
 * (`wss-gateway serve`, bench/serve.ts) pinned to `--gateway-cpu`, signed
 * fresh copies of the bench envelopes (bench/restamp.ts) sent over
 * keep-alive connections from this process pinned to `--client-cpu`, and,
 * around each round, utime and stime of every thread of the gateway
 * (/proc/<pid>/task/<tid>/stat). Node 20 does not name its threads, so they
 * are grouped by when they started: the event loop (tid = pid), V8's
 * platform workers (GC helpers: concurrent marking, parallel scavenges;
 * started with the process), libuv's thread pool (the WAL's fdatasync, the
 * audit log's writes to stdout; `UV_THREADPOOL_SIZE` threads started
 * together at its first use), worker threads started after it (SQLite's
 * checkpointer); Node's own threads (idle) count with V8's. With `--a DIR` a second gateway runs from that
 * source tree (an export of main, built or not) and the rounds alternate
 * A, B, A, B… per shape: an A/B of the whole process's CPU; `--a-node-args`
 * gives build A other Node options, `--a-store-sync` another SQLite
 * `synchronous` (A is this tree when `--a` is not given). Prints µs per
 * request, medians of the rounds. Not a test.
 *
 *   flock /tmp/bench.lock node --import tsx bench/thread-split.ts --shapes element,text --size 6k --requests 1500 --rounds 4 [--a /tmp/base]
 *
 * Options: `--store-sync full|normal`, `--connections 8`, `--node-args="--cpu-prof --cpu-prof-dir=/tmp/p"`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_USER, makeKeys, makeShapedEnvelope, parseSize, writeConfigDir, type EnvelopeShape } from "./fixtures.js";
import { postSoap, sendAll } from "./http.js";
import { restamper } from "./restamp.js";
import { serveGateway, type ServedGateway } from "./serve.js";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    shapes: { type: "string", default: "element,text" },
    size: { type: "string", default: "6k" },
    requests: { type: "string", default: "1500" },
    rounds: { type: "string", default: "4" },
    connections: { type: "string", default: "8" },
    "gateway-cpu": { type: "string", default: "1" },
    "client-cpu": { type: "string", default: "0" },
    "store-sync": { type: "string", default: "full" },
    "node-args": { type: "string", default: "" },
    "a-node-args": { type: "string" },
    "a-store-sync": { type: "string" },
  },
});

const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const AUTHORIZATION = `Basic ${Buffer.from(`${BENCH_USER.name}:${BENCH_USER.password}`).toString("base64")}`;
const UV_POOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const GROUPS = ["event loop", "V8 platform (GC)", "libuv pool", "worker threads", "unclassified"] as const;

/** CPU µs (user + system) per thread group of process `pid` so far, split user / system. */
function groups(pid: number): Map<string, number> {
  const rows: { tid: number; start: number; user: number; system: number }[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "latin1");
    } catch {
      continue; // the thread ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    rows.push({ tid: Number(tid), start: Number(fields[19]), user: (Number(fields[11]) * 1e6) / ticks, system: (Number(fields[12]) * 1e6) / ticks });
  }
  rows.sort((x, y) => x.start - y.start || x.tid - y.tid);
  // libuv starts its pool's UV_POOL threads at once (within a clock tick): the last UV_POOL threads
  // started within one tick are the pool; worker threads start one at a time after it; the threads
  // before it are V8's platform and Node's own.
  const others = rows.filter((row) => row.tid !== pid);
  let pool = -1;
  for (let index = others.length - UV_POOL; index >= 0 && pool === -1; index--) {
    if (others[index + UV_POOL - 1]!.start - others[index]!.start <= 1) pool = index;
  }
  const label = new Map<number, string>([[pid, GROUPS[0]]]);
  others.forEach((row, index) => label.set(row.tid, pool === -1 ? GROUPS[4] : index < pool ? GROUPS[1] : index < pool + UV_POOL ? GROUPS[2] : GROUPS[3]));
  if (process.env.THREAD_SPLIT_DEBUG) console.error(others.map((row) => row.start).join(" "), `pool=${pool}`);
  const out = new Map<string, number>();
  for (const row of rows) {
    const group = label.get(row.tid)!;
    out.set(`${group} user`, (out.get(`${group} user`) ?? 0) + row.user);
    out.set(`${group} system`, (out.get(`${group} system`) ?? 0) + row.system);
  }
  return out;
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

execFileSync("taskset", ["-p", "-c", values["client-cpu"]!, String(process.pid)], { stdio: "ignore" });
const keys = makeKeys();
const configDir = writeConfigDir(keys);
const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-threads-"));
const shapes = values.shapes!.split(",") as EnvelopeShape[];
const requests = Number(values.requests);
const nodeArgs = values["node-args"]!.split(" ").filter((arg) => arg !== "");
const split = (args: string) => args.split(" ").filter((arg) => arg !== "");
const aNodeArgs = values["a-node-args"] === undefined ? nodeArgs : split(values["a-node-args"]);
const builds: { name: string; root: string | undefined; nodeArgs: string[]; sync: string }[] = [
  ...(values.a === undefined && values["a-node-args"] === undefined && values["a-store-sync"] === undefined
    ? []
    : [{ name: "A", root: values.a === undefined ? undefined : resolve(values.a), nodeArgs: aNodeArgs, sync: values["a-store-sync"] ?? values["store-sync"]! }]),
  { name: "B", root: undefined, nodeArgs, sync: values["store-sync"]! },
];
const gateways: ServedGateway[] = [];
try {
  for (const build of builds) {
    gateways.push(await serveGateway(["--config", configDir, "--store", `sqlite:${join(dataDir, `${build.name}.db`)}?synchronous=${build.sync}`, "--replay-cache", "memory"], { cpu: values["gateway-cpu"], nodeArgs: build.nodeArgs, root: build.root }));
  }
  console.log(`builds: ${builds.map((build, index) => `${build.name} = ${build.root ?? "this tree"} (pid ${gateways[index]!.pid}, synchronous=${build.sync})${build.nodeArgs.length === 0 ? "" : ` (node ${build.nodeArgs.join(" ")})`}`).join(", ")}; gateway CPU ${values["gateway-cpu"]}; ${requests} requests per round, ${values.connections} connections`);
  const send = async (gateway: ServedGateway, copy: () => string, count: number) => {
    const bodies = Array.from({ length: count }, () => Buffer.from(copy(), "utf8"));
    const agent = new Agent({ keepAlive: true, maxSockets: Number(values.connections) });
    try {
      const start = performance.now();
      await sendAll(bodies, (body) => postSoap(`${gateway.url}/incident.do?SOAP`, body, AUTHORIZATION, agent), Number(values.connections));
      return performance.now() - start;
    } finally {
      agent.destroy();
    }
  };
  for (const shape of shapes) {
    const template = makeShapedEnvelope(keys, shape, `${shape} ${values.size}`, parseSize(values.size!));
    const copy = restamper(keys, template);
    const runs = builds.map(() => ({ rounds: [] as Map<string, number>[], wallMs: [] as number[] }));
    for (const gateway of gateways) await send(gateway, copy, requests); // warm-up (a round: the JIT settles)
    for (let round = 0; round < Number(values.rounds); round++) {
      const order = builds.map((_build, index) => index);
      if (round % 2 === 1) order.reverse();
      for (const index of order) {
        const gateway = gateways[index]!;
        const before = groups(gateway.pid);
        const ms = await send(gateway, copy, requests);
        const after = groups(gateway.pid);
        runs[index]!.rounds.push(new Map([...after].map(([key, value]) => [key, (value - (before.get(key) ?? 0)) / requests])));
        runs[index]!.wallMs.push(ms);
      }
    }
    console.log(`\n${shape} ${values.size} (${template.bytes.length} bytes), µs per request, median [rounds]`);
    builds.forEach((build, index) => {
      const run = runs[index]!;
      const total = run.rounds.map((round) => [...round.values()].reduce((sum, value) => sum + value, 0));
      console.log(`  ${build.name}: whole process ${median(total).toFixed(0)} µs (${(1e6 / median(total)).toFixed(0)} per CPU-second) [${total.map((t) => t.toFixed(0)).join(" ")}], ${median(run.wallMs.map((ms) => (requests * 1000) / ms)).toFixed(0)} req/s`);
      for (const group of GROUPS) {
        const user = run.rounds.map((round) => round.get(`${group} user`) ?? 0);
        const system = run.rounds.map((round) => round.get(`${group} system`) ?? 0);
        console.log(`     ${group.padEnd(18)} user ${median(user).toFixed(0).padStart(5)} [${user.map((t) => t.toFixed(0)).join(" ")}]  system ${median(system).toFixed(0).padStart(5)} [${system.map((t) => t.toFixed(0)).join(" ")}]`);
      }
    });
  }
} finally {
  for (const gateway of gateways) await gateway.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  rmSync(keys.dir, { recursive: true, force: true });
}
