/**
 * Two builds of the real `wss-gateway serve` compared on bench/get-vs-koa.ts's
 * request (an internal integration user's unsigned `get`), by the CPU time of
 * every thread of each server process. Unlike bench/ab-get.ts (both builds in
 * one process, audit lines dropped), each build runs as its own `serve`
 * process (`<root>/bin/wss-gateway.js`: the root's dist/ when built, so build
 * it first), both pinned to `--server-cpu`, with its audit lines on a pipe
 * read by this process, as `serve` runs: the libuv thread pool's log writes,
 * their wake-ups and context switches count. autocannon (in this process: pin
 * it to another CPU) drives them in rounds that alternate A B, B A, …; every
 * answer must be 200. `--a-env` / `--b-env NAME=VALUE,…` add environment
 * variables to one side (the same build twice with two settings). Prints the
 * µs of CPU per request of each round, the per-round ratios B / A and their
 * median (the figure to quote: the machine drifts between rounds). Traffic
 * only to 127.0.0.1, bounded in time.
 *
 *   git archive main | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/node_modules && (cd /tmp/base && npx tsc -p tsconfig.build.json)
 *   npm run build && flock /tmp/bench.lock taskset -c 0 node --import tsx bench/ab-serve.ts --a /tmp/base --rounds 8
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { hashPassword } from "../src/auth/password.js";
import { median } from "./ab-builds.js";
import { makeKeys, writeConfigDir } from "./fixtures.js";

const here = resolve(new URL("..", import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    a: { type: "string", default: here },
    b: { type: "string", default: here },
    "a-env": { type: "string", default: "" },
    "b-env": { type: "string", default: "" },
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "6" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "10" },
    "server-cpu": { type: "string", default: "1" },
  },
});

const AUTHORIZATION = `Basic ${Buffer.from("internal.integration:internal-password").toString("base64")}`;
const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: AUTHORIZATION };
const envelope = (operation: string, children: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">` +
  `<soapenv:Body><inc:${operation}>${children}</inc:${operation}></soapenv:Body></soapenv:Envelope>`;
const environment = (text: string): Record<string, string> =>
  Object.fromEntries(text.split(",").filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));

interface Server {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
}

/** `serve` of the build at `root`, pinned; resolves at its "listening" line, then keeps reading (and dropping) its audit lines. */
function serve(root: string, configDir: string, database: string, env: Record<string, string>): Promise<Server> {
  const child = spawn("taskset", ["-c", values["server-cpu"]!, process.execPath, join(root, "bin/wss-gateway.js"), "serve", "--host", "127.0.0.1", "--port", "0", "--config", configDir, "--store", `sqlite:${database}`], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, LOG_LEVEL: "info", ...env },
  });
  return new Promise((resolveServer, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += String(chunk);
      const line = text.split("\n").find((candidate) => candidate.includes('"wss-gateway listening"'));
      if (line === undefined) return;
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      resolveServer({ url: (JSON.parse(line) as { url: string }).url, pid: child.pid!, child });
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`serve (${root}) exited (${code}) before listening`)));
  });
}

/** CPU time (user + system, every thread) of a process so far, in µs. */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function post(url: string, body: string): Promise<string> {
  const response = await fetch(`${url}/incident.do?SOAP`, { method: "POST", headers: HEADERS, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`gateway answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

const keys = makeKeys();
const configDir = writeConfigDir(keys);
const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-ab-serve-"));
const servers: Partial<Record<"A" | "B", Server>> = {};
try {
  appendFileSync(
    join(configDir, "users.yaml"),
    `  - user_name: internal.integration\n    password: "${await hashPassword("internal-password")}"\n    roles: [soap]\n    internal_integration_user: true\n`,
  );
  const bodies: Partial<Record<"A" | "B", string>> = {};
  for (const name of ["A", "B"] as const) {
    const server = await serve(resolve(name === "A" ? values.a! : values.b!), configDir, join(dataDir, `${name}.db`), environment(name === "A" ? values["a-env"]! : values["b-env"]!));
    servers[name] = server;
    const inserted = await post(server.url, envelope("insert", "<number>INC0000001</number><short_description>Printer on floor 3 &amp; scanner</short_description><priority>2</priority><active>true</active>"));
    const sysId = /<sys_id>([0-9a-f]{32})<\/sys_id>/.exec(inserted)?.[1];
    if (sysId === undefined) throw new Error(`no sys_id in ${inserted.slice(0, 300)}`);
    bodies[name] = envelope("get", `<sys_id>${sysId}</sys_id>`);
  }
  const round = async (name: "A" | "B") => {
    const server = servers[name]!;
    const before = cpuUs(server.pid);
    const result = await autocannon({ url: `${server.url}/incident.do?SOAP`, method: "POST", headers: HEADERS, body: bodies[name], connections: Number(values.connections), duration: Number(values.seconds) });
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0) throw new Error(`${name}: ${failed} requests failed or were not 200`);
    return { cpuUs: (cpuUs(server.pid) - before) / result.requests.total, perSecond: result.requests.total / Number(values.seconds) };
  };
  for (let warm = 0; warm < Number(values.warmup); warm++) for (const name of ["A", "B"] as const) await round(name);
  const figures = { A: [] as { cpuUs: number; perSecond: number }[], B: [] as { cpuUs: number; perSecond: number }[] };
  for (let index = 0; index < Number(values.rounds); index++) {
    for (const name of index % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const)) figures[name].push(await round(name));
  }
  const ratios = figures.B.map((b, index) => b.cpuUs / figures.A[index]!.cpuUs);
  console.log(
    JSON.stringify({
      loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
      a: { root: resolve(values.a!), env: values["a-env"], cpuUsPerRequest: figures.A.map((f) => Math.round(f.cpuUs)), perSecond: figures.A.map((f) => Math.round(f.perSecond)) },
      b: { root: resolve(values.b!), env: values["b-env"], cpuUsPerRequest: figures.B.map((f) => Math.round(f.cpuUs)), perSecond: figures.B.map((f) => Math.round(f.perSecond)) },
      perRoundRatiosBoverA: ratios.map((ratio) => Number(ratio.toFixed(2))),
      medianRatioBoverA: Number(median(ratios).toFixed(2)),
    }),
  );
} finally {
  for (const server of Object.values(servers)) server?.child.kill();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  rmSync(keys.dir, { recursive: true, force: true });
}
