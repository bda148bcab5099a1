/**
 * Issue 14's target for the unsigned path: an internal integration user's
 * `get` (HTTP Basic with a scrypt-hashed password, no WS-Security since the
 * user is internal, strict_security roles and ACLs, one SQLite read, the
 * response, the audit line) at ≥ 50 % of a bare Koa handler's requests per
 * second on the same machine.
 *
 * Both servers run as child processes pinned to `--server-cpu` (the gateway
 * is the real `wss-gateway serve`: dist/ when built, else tsx; the reference
 * is bench/bare-koa.ts answering the very bytes the gateway answers), one
 * after the other, interleaved over `--rounds` in alternating order; autocannon drives each from
 * this process (pin it to another CPU: `taskset -c 0`) with `--connections`
 * keep-alive connections for `--seconds`. Every gateway answer must be 200.
 * Traffic only to 127.0.0.1; bounded in time. Run it under the bench lock:
 *
 *   flock /tmp/bench.lock taskset -c 0 node --import tsx bench/get-vs-koa.ts [--seconds 3] [--rounds 3] [--connections 10] [--server-cpu 1] [--rate N]
 *
 * `--rate N` offers both servers the same N requests per second (below what
 * the gateway can answer): the CPU per request is then compared at equal
 * load. Without it each runs flat out, bare Koa ~5-8x faster, and the
 * gateway alone pays the loopback wake-ups of a client whose CPU idles
 * between its answers (docs/performance.md, "End to end").
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { hashPassword } from "../src/auth/password.js";
import { makeKeys, writeConfigDir } from "./fixtures.js";
import { servedCode, serveGateway } from "./serve.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "10" },
    "server-cpu": { type: "string", default: "1" },
    rate: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const SERVER_CPU = values["server-cpu"]!;
/** Requests per second offered to each server (autocannon's overallRate); unset: as fast as each answers. */
const RATE = values.rate === undefined ? undefined : Number(values.rate);

const INTERNAL_USER = { name: "internal.integration", password: "internal-password" };
const AUTHORIZATION = `Basic ${Buffer.from(`${INTERNAL_USER.name}:${INTERNAL_USER.password}`).toString("base64")}`;
const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: AUTHORIZATION };

function envelope(operation: string, children: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">` +
    `<soapenv:Body><inc:${operation}>${children}</inc:${operation}></soapenv:Body></soapenv:Envelope>`
  );
}

async function post(url: string, body: string): Promise<string> {
  const response = await fetch(`${url}/incident.do?SOAP`, { method: "POST", headers: HEADERS, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`gateway answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

interface Run {
  readonly perSecond: number;
  /** Server CPU per request: the figure that moves least when other processes share the machine. */
  readonly cpuMicroseconds: number;
}

/** One autocannon run against the server `pid`; every answer must be 200. */
async function load(url: string, body: string, pid: number): Promise<Run> {
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    url: `${url}/incident.do?SOAP`,
    method: "POST",
    headers: HEADERS,
    body,
    connections: CONNECTIONS,
    duration: SECONDS,
    ...(RATE === undefined ? {} : { overallRate: RATE }),
  });
  const non200 = result.non2xx + result.errors + result.timeouts;
  if (non200 > 0) throw new Error(`${non200} requests failed or were not 200 (non2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return { perSecond: result.requests.total / SECONDS, cpuMicroseconds: ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.requests.total };
}

async function startBareKoa(answerFile: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn("taskset", ["-c", SERVER_CPU, process.execPath, "--import", "tsx", "bench/bare-koa.ts", answerFile], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bare Koa did not start")), 60_000);
    child.stdout!.once("data", (chunk) => {
      clearTimeout(timer);
      resolve((JSON.parse(String(chunk)) as { url: string }).url);
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const keys = makeKeys();
const configDir = writeConfigDir(keys);
const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-get-"));
try {
  // The bench configuration (WS-Security required, strict_security, record ACLs), plus an internal integration user with a hashed password.
  appendFileSync(
    join(configDir, "users.yaml"),
    `  - user_name: ${INTERNAL_USER.name}\n    password: "${await hashPassword(INTERNAL_USER.password)}"\n    roles: [soap]\n    internal_integration_user: true\n`,
  );
  const gateway = await serveGateway(["--config", configDir, "--store", `sqlite:${join(dataDir, "get.db")}`], { cpu: SERVER_CPU });
  const gatewayRuns: Run[] = [];
  const koaRuns: Run[] = [];
  try {
    const inserted = await post(gateway.url, envelope("insert", "<number>INC0000001</number><short_description>Printer on floor 3 &amp; scanner</short_description><priority>2</priority><active>true</active>"));
    const sysId = /<sys_id>([0-9a-f]{32})<\/sys_id>/.exec(inserted)?.[1];
    if (sysId === undefined) throw new Error(`no sys_id in ${inserted.slice(0, 300)}`);
    const getBody = envelope("get", `<sys_id>${sysId}</sys_id>`);
    const answer = await post(gateway.url, getBody);
    const answerFile = join(dataDir, "answer.xml");
    writeFileSync(answerFile, answer);
    const koa = await startBareKoa(answerFile);
    try {
      await load(gateway.url, getBody, gateway.pid); // warm-up of both
      await load(koa.url, getBody, koa.pid);
      // The order alternates (Koa, gateway, gateway, Koa, …): in two runs of two near-identical gateway builds, the one
      // measured first in each pair came out 5–8 % cheaper per request, whichever it was (docs/performance.md, "End to end").
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          koaRuns.push(await load(koa.url, getBody, koa.pid));
          gatewayRuns.push(await load(gateway.url, getBody, gateway.pid));
        } else {
          gatewayRuns.push(await load(gateway.url, getBody, gateway.pid));
          koaRuns.push(await load(koa.url, getBody, koa.pid));
        }
      }
    } finally {
      await koa.stop();
    }
  } finally {
    await gateway.stop();
  }
  const gatewayMedian = median(gatewayRuns.map((run) => run.perSecond));
  const koaMedian = median(koaRuns.map((run) => run.perSecond));
  const gatewayCpu = median(gatewayRuns.map((run) => run.cpuMicroseconds));
  const koaCpu = median(koaRuns.map((run) => run.cpuMicroseconds));
  console.log(
    JSON.stringify({
      served: servedCode(),
      serverCpu: SERVER_CPU,
      connections: CONNECTIONS,
      seconds: SECONDS,
      ...(RATE === undefined ? {} : { offeredRatePerSecond: RATE }),
      rounds: ROUNDS,
      loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
      gatewayPerSecond: gatewayRuns.map((run) => Math.round(run.perSecond)),
      bareKoaPerSecond: koaRuns.map((run) => Math.round(run.perSecond)),
      gatewayCpuMicrosecondsPerRequest: gatewayRuns.map((run) => Math.round(run.cpuMicroseconds)),
      bareKoaCpuMicrosecondsPerRequest: koaRuns.map((run) => Math.round(run.cpuMicroseconds)),
      ratioPerSecond: Number((gatewayMedian / koaMedian).toFixed(2)),
      ratioByCpuPerRequest: Number((koaCpu / gatewayCpu).toFixed(2)),
      target: 0.5,
    }),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  rmSync(keys.dir, { recursive: true, force: true });
}
