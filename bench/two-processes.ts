/**
 * Why two gateway processes spend more CPU per request than one
 * (docs/performance.md, "End to end", `--workers 2`): the same unsigned
 * internal-user `get` as bench/get-vs-koa.ts, served by real `wss-gateway
 * serve` processes (no cluster: each its own port, its own SQLite file, so
 * neither the primary's hand-off nor SQLite's locks are in play), driven by
 * autocannon from this process, in interleaved rounds of three set-ups:
 *
 * - `one`: one process pinned to `--server-cpu`, `--connections` connections;
 * - `one-half`: the same process with half the connections (what each of
 *   two workers gets);
 * - `two-same-cpu`: two processes, both pinned to `--server-cpu`, half the
 *   connections each, at once (they alternate on one CPU);
 * - `one-beside-busy-loop`: `one`, with a shell busy loop pinned to the same
 *   CPU (time-sliced with a process that is not a gateway);
 *
 * and per set-up the CPU per request of the serving processes (every
 * thread, /proc/<pid>/stat) and their context switches per request (every
 * thread, /proc/<pid>/task/<tid>/status). Pin this process to another CPU:
 *
 *   flock /tmp/bench.lock taskset -c 0 node --import tsx bench/two-processes.ts [--seconds 2] [--rounds 4] [--connections 8] [--server-cpu 1]
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { hashPassword } from "../src/auth/password.js";
import { makeKeys, writeConfigDir } from "./fixtures.js";
import { servedCode, serveGateway, type ServedGateway } from "./serve.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "4" },
    connections: { type: "string", default: "8" },
    "server-cpu": { type: "string", default: "1" },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const CPU = values["server-cpu"]!;

const USER = { name: "internal.integration", password: "internal-password" };
const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: `Basic ${Buffer.from(`${USER.name}:${USER.password}`).toString("base64")}` };
const envelope = (operation: string, children: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">` +
  `<soapenv:Body><inc:${operation}>${children}</inc:${operation}></soapenv:Body></soapenv:Envelope>`;

/** CPU µs (every thread) and context switches (every thread, voluntary + involuntary) of a process so far. */
function account(pid: number): { cpuUs: number; switches: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  let switches = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
    for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) switches += Number(match[1]);
  }
  return { cpuUs: (Number(fields[11]) + Number(fields[12])) * 10_000, switches };
}

async function getBody(gateway: ServedGateway): Promise<string> {
  const response = await fetch(`${gateway.url}/incident.do?SOAP`, { method: "POST", headers: HEADERS, body: envelope("insert", "<number>INC0000001</number><short_description>two processes</short_description>") });
  const sysId = /<sys_id>([0-9a-f]{32})<\/sys_id>/.exec(await response.text())?.[1];
  if (response.status !== 200 || sysId === undefined) throw new Error(`insert answered ${response.status}`);
  return envelope("get", `<sys_id>${sysId}</sys_id>`);
}

interface Figure {
  readonly perSecond: number;
  readonly cpuUsPerRequest: number;
  readonly switchesPerRequest: number;
}

/** Drives each target with its connections at once for SECONDS; every answer must be 200. */
async function load(targets: readonly { gateway: ServedGateway; body: string; connections: number }[]): Promise<Figure> {
  const before = targets.map((t) => account(t.gateway.pid));
  const results = await Promise.all(
    targets.map((t) => autocannon({ url: `${t.gateway.url}/incident.do?SOAP`, method: "POST", headers: HEADERS, body: t.body, connections: t.connections, duration: SECONDS })),
  );
  const after = targets.map((t) => account(t.gateway.pid));
  let requests = 0;
  for (const result of results) {
    if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`not every answer was 200 (${result.non2xx} non-2xx, ${result.errors} errors)`);
    requests += result.requests.total;
  }
  const cpuUs = after.reduce((sum, a, i) => sum + a.cpuUs - before[i]!.cpuUs, 0);
  const switches = after.reduce((sum, a, i) => sum + a.switches - before[i]!.switches, 0);
  return { perSecond: requests / SECONDS, cpuUsPerRequest: cpuUs / requests, switchesPerRequest: switches / requests };
}

const median = (samples: readonly number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

const keys = makeKeys();
const configDir = writeConfigDir(keys);
const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-two-"));
const gateways: ServedGateway[] = [];
try {
  appendFileSync(join(configDir, "users.yaml"), `  - user_name: ${USER.name}\n    password: "${await hashPassword(USER.password)}"\n    roles: [soap]\n    internal_integration_user: true\n`);
  for (const name of ["a", "b"]) gateways.push(await serveGateway(["--config", configDir, "--store", `sqlite:${join(dataDir, `${name}.db`)}`], { cpu: CPU }));
  const [a, b] = gateways as [ServedGateway, ServedGateway];
  const bodies = [await getBody(a), await getBody(b)] as const;
  const half = Math.max(1, Math.floor(CONNECTIONS / 2));
  const setups = {
    one: () => load([{ gateway: a, body: bodies[0], connections: CONNECTIONS }]),
    "one-half": () => load([{ gateway: a, body: bodies[0], connections: half }]),
    "two-same-cpu": () => load([{ gateway: a, body: bodies[0], connections: half }, { gateway: b, body: bodies[1], connections: half }]),
    "one-beside-busy-loop": async () => {
      const loop = spawn("taskset", ["-c", CPU, "sh", "-c", "while :; do :; done"], { stdio: "ignore" });
      try {
        return await load([{ gateway: a, body: bodies[0], connections: CONNECTIONS }]);
      } finally {
        loop.kill("SIGKILL");
      }
    },
  } as const;
  const names = Object.keys(setups) as (keyof typeof setups)[];
  for (let warmUp = 0; warmUp < 3; warmUp++) await setups["two-same-cpu"](); // both processes' JIT settles (the first rounds ran ~2x the CPU)
  const figures = new Map<string, Figure[]>(names.map((name) => [name, []]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) figures.get(name)!.push(await setups[name]());
  }
  const summary = Object.fromEntries(
    names.map((name) => {
      const runs = figures.get(name)!;
      return [name, { perSecond: Math.round(median(runs.map((r) => r.perSecond))), cpuUsPerRequest: Math.round(median(runs.map((r) => r.cpuUsPerRequest))), switchesPerRequest: Number(median(runs.map((r) => r.switchesPerRequest)).toFixed(2)), cpuUsPerRound: runs.map((r) => Math.round(r.cpuUsPerRequest)) }];
    }),
  );
  console.log(JSON.stringify({ served: servedCode(), serverCpu: CPU, connections: CONNECTIONS, seconds: SECONDS, loadAverage: loadavg().map((v) => Number(v.toFixed(2))), ...summary }));
} finally {
  for (const gateway of gateways) await gateway.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  rmSync(keys.dir, { recursive: true, force: true });
}
