/**
 * Two builds of the gateway compared on bench/get-vs-koa.ts's request (an
 * internal integration user's unsigned `get`: HTTP Basic with a
 * scrypt-hashed password, no WS-Security, strict_security roles and ACLs,
 * one SQLite read, the response, the audit line), in one process, by CPU
 * time. Build A (`--a`, a source tree, e.g. an export of main) and build B
 * (`--b`, by default this tree) are each started in-process by their own
 * `startGateway` (SQLite file in a temporary directory, memory replay cache,
 * audit log to a discarding stream); a child process pinned to
 * `--client-cpu` (default 0) sends the same `get`
 * over `--connections` keep-alive connections, in rounds that alternate
 * A B, B A, … and the **main thread's CPU time per request** is printed per
 * round (/proc/self/task/<tid>/stat: the client's CPU does not count),
 * and the whole process's (every thread: the thread pool's log writes,
 * GC helpers), then the medians. `--log stdout`: the audit lines go where
 * `serve` sends them (pino to fd 1) instead of to a discarding stream. Not a test: figures only. Without `--a` only B runs (for a
 * profile: `node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/ab-get.ts`).
 *
 *   git archive main | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   taskset -c 1 node --import tsx bench/ab-get.ts --a /tmp/base --requests 4000 --rounds 8
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { execFileSync, fork } from "node:child_process";
import { loadBuild, mainThreadCpuUs, median } from "./ab-builds.js";

interface Job {
  readonly url: string;
  readonly requests: number;
}

const INTERNAL_USER = { name: "internal.integration", password: "internal-password" };
const AUTHORIZATION = `Basic ${Buffer.from(`${INTERNAL_USER.name}:${INTERNAL_USER.password}`).toString("base64")}`;
const here = resolve(new URL("..", import.meta.url).pathname);

if (process.argv.includes("--client")) client();
else await main();

function envelope(operation: string, children: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">` +
    `<soapenv:Body><inc:${operation}>${children}</inc:${operation}></soapenv:Body></soapenv:Envelope>`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      a: { type: "string" },
      b: { type: "string", default: here },
      requests: { type: "string", default: "4000" },
      rounds: { type: "string", default: "6" },
      connections: { type: "string", default: "10" },
      "client-cpu": { type: "string", default: "0" },
      log: { type: "string", default: "discard" },
    },
  });
  // --log stdout: each gateway's own logger (the audit lines to this process's stdout, as `serve` writes them; redirect it
  // to a pipe, e.g. `> >(cat > /dev/null)`); the figures go to stderr then. --log discard: a stream that drops them.
  const logToStdout = values.log === "stdout";
  const print = logToStdout ? console.error : console.log;
  const roots: Partial<Record<"A" | "B", string>> = { ...(values.a ? { A: resolve(values.a) } : {}), B: resolve(values.b!) };
  const names = (Object.keys(roots) as ("A" | "B")[]).sort();
  const fixtures = (await import(join(here, "bench/fixtures.ts"))) as typeof import("./fixtures.js");
  const { hashPassword } = (await import(join(here, "src/auth/password.ts"))) as typeof import("../src/auth/password.js");
  const keys = fixtures.makeKeys();
  const configDir = fixtures.writeConfigDir(keys);
  appendFileSync(
    join(configDir, "users.yaml"),
    `  - user_name: ${INTERNAL_USER.name}\n    password: "${await hashPassword(INTERNAL_USER.password)}"\n    roles: [soap]\n    internal_integration_user: true\n`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-ab-get-"));
  // Every build's modules are loaded before any starts (each startGateway mends String.prototype after the loads).
  const modules: Partial<Record<"A" | "B", Awaited<ReturnType<typeof loadBuild>>>> = {};
  for (const name of names) modules[name] = await loadBuild(roots[name]!);
  const gateways: Partial<Record<"A" | "B", { url: string; close(): Promise<unknown> }>> = {};
  const bodies: Partial<Record<"A" | "B", string>> = {};
  const discard = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });
  for (const name of names) {
    const m = modules[name]!;
    const gateway = await m.server.startGateway({ configDir, host: "127.0.0.1", port: 0, store: `sqlite:${join(dataDir, `${name}.db`)}`, replayCache: "memory", logger: logToStdout ? m.logger.createLogger({ level: "info" }) : m.logger.createLogger({ level: "info", destination: discard() }) });
    gateways[name] = gateway;
    const inserted = await post(gateway.url, envelope("insert", "<number>INC0000001</number><short_description>Printer on floor 3 &amp; scanner</short_description><priority>2</priority><active>true</active>"));
    const sysId = /<sys_id>([0-9a-f]{32})<\/sys_id>/.exec(inserted)?.[1];
    if (sysId === undefined) throw new Error(`no sys_id in ${inserted.slice(0, 300)}`);
    bodies[name] = envelope("get", `<sys_id>${sysId}</sys_id>`);
  }
  // The client is a child process on another CPU (on the gateway's CPU it would run inside the gateway's writes to it).
  const worker = fork(new URL(import.meta.url).pathname, ["--client", values.connections!], { execArgv: ["--import", "tsx"] });
  execFileSync("taskset", ["-pc", values["client-cpu"]!, String(worker.pid)], { stdio: "ignore" });
  const run = (job: Job & { body: string }) =>
    new Promise<number>((resolveRun, reject) => {
      worker.once("message", (message: { ok: boolean; error?: string; ms: number }) => (message.ok ? resolveRun(message.ms) : reject(new Error(message.error))));
      worker.send(job);
    });
  const requests = Number(values.requests);
  const figures: Record<string, { cpuUs: number[]; processCpuUs: number[]; perSecond: number[] }> = Object.fromEntries(names.map((name) => [name, { cpuUs: [], processCpuUs: [], perSecond: [] }]));
  try {
    for (const name of names) await run({ url: gateways[name]!.url, requests, body: bodies[name]! }); // warm-up
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const cpu0 = mainThreadCpuUs();
        const process0 = process.cpuUsage();
        const ms = await run({ url: gateways[name]!.url, requests, body: bodies[name]! });
        const cpu = mainThreadCpuUs() - cpu0;
        const processUsage = process.cpuUsage(process0);
        const processCpu = processUsage.user + processUsage.system;
        figures[name]!.cpuUs.push(cpu / requests);
        figures[name]!.processCpuUs.push(processCpu / requests);
        figures[name]!.perSecond.push((requests * 1000) / ms);
        print(`round ${round + 1} ${name}: ${(cpu / requests).toFixed(1)} us CPU/request (main thread), ${(processCpu / requests).toFixed(1)} (every thread), ${((requests * 1000) / ms).toFixed(0)} req/s`);
      }
    }
    const summary: Record<string, unknown> = { requests, rounds: Number(values.rounds) };
    for (const name of names) {
      const f = figures[name]!;
      summary[name] = { root: roots[name], cpuUsPerRequest: Math.round(median(f.cpuUs)), processCpuUsPerRequest: Math.round(median(f.processCpuUs)), perSecond: Math.round(median(f.perSecond)) };
    }
    if (names.length === 2) {
      const ratio = (b: number, a: number) => Math.round((b / a) * 100) / 100;
      summary.cpuRatioBoverA = ratio(median(figures.B!.cpuUs), median(figures.A!.cpuUs));
      summary.perRoundRatios = figures.B!.cpuUs.map((b, i) => ratio(b, figures.A!.cpuUs[i]!));
      summary.processCpuRatioBoverA = ratio(median(figures.B!.processCpuUs), median(figures.A!.processCpuUs));
    }
    print(JSON.stringify(summary));
  } finally {
    worker.kill();
    for (const name of names) await gateways[name]!.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
    rmSync(keys.dir, { recursive: true, force: true });
  }
}

async function post(url: string, body: string): Promise<string> {
  const response = await fetch(`${url}/incident.do?SOAP`, { method: "POST", headers: { "Content-Type": "text/xml; charset=utf-8", Authorization: AUTHORIZATION }, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`gateway answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

function client(): void {
  const connections = Number(process.argv[process.argv.indexOf("--client") + 1]);
  process.on("message", async (job: Job & { body: string }) => {
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    try {
      const body = Buffer.from(job.body, "utf8");
      const start = performance.now();
      let sent = 0;
      const lane = async () => {
        while (sent < job.requests) {
          sent++;
          const status = await send(`${job.url}/incident.do?SOAP`, body, agent);
          if (status !== 200) throw new Error(`HTTP ${status}`);
        }
      };
      await Promise.all(Array.from({ length: connections }, lane));
      process.send!({ ok: true, ms: performance.now() - start });
    } catch (error) {
      process.send!({ ok: false, error: String(error), ms: 0 });
    } finally {
      agent.destroy();
    }
  });
}

function send(url: string, body: Buffer, agent: Agent): Promise<number> {
  return new Promise((resolveSend, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "text/xml; charset=utf-8", "content-length": body.length, authorization: AUTHORIZATION } }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolveSend(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}
