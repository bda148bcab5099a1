/**
 * Overload measurement (docs/hardening.md "Overload"): N concurrent ~1 MB
 * requests against the real `serve` (SQLite, one process, 127.0.0.1), each on
 * its own connection and sent at once; prints the statuses, latency
 * percentiles and the server's peak RSS (VmHWM). Not a test: figures only.
 *
 *   node --import tsx bench/overload.ts [--requests 50] [--shape insertMultiple|padded-insert] [--store-sync full|normal]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeConfigDir } from "../test/helpers/config-dir.js";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "50" }, shape: { type: "string", default: "insertMultiple" }, "store-sync": { type: "string", default: "full" } },
});
const REQUESTS = Number(values.requests);
const RECORDS = 8440;
const AUTH = `Basic ${Buffer.from("alice:alice-password").toString("base64")}`;

function body(index: number): string {
  const open = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="http://www.service-now.com/incident"><soapenv:Header/><soapenv:Body>`;
  const close = `</soapenv:Body></soapenv:Envelope>`;
  if (values.shape === "padded-insert") {
    return `${open}<tns:insert><number>PAD-${index}</number>${" ".repeat(1_000_000)}<short_description>padded</short_description></tns:insert>${close}`;
  }
  const records: string[] = [];
  for (let r = 0; r < RECORDS; r++) records.push(`<record><number>R${index}-${r}</number><short_description>x</short_description><priority>${r % 5}</priority></record>`);
  return `${open}<tns:insertMultiple>${records.join("")}</tns:insertMultiple>${close}`;
}

async function main(): Promise<void> {
  const configDir = makeConfigDir({ gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nlimits:\n  max_body_bytes: 4194304\n" });
  const db = join(mkdtempSync(join(tmpdir(), "overload-")), "gw.db");
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--config", configDir, "--host", "127.0.0.1", "--port", "0", "--store", `sqlite:${db}?synchronous=${values["store-sync"]}`], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, LOG_LEVEL: "info" },
  });
  let out = "";
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("serve did not start"));
    }, 60_000);
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners("data");
        child.stdout!.resume(); // the audit lines are not kept
        resolve(new URL(match[1]!));
      }
    });
  });
  const bodies = Array.from({ length: REQUESTS }, (_, index) => Buffer.from(body(index)));
  const rssBefore = vmHwmKb(child.pid!);
  const started = performance.now();
  const results = await Promise.all(
    bodies.map(
      (bytes) =>
        new Promise<{ status: number; ms: number }>((resolve) => {
          const t0 = performance.now();
          const req = request(
            { host: url.hostname, port: url.port, path: "/incident.do?SOAP", method: "POST", agent: false, timeout: 120_000, headers: { "Content-Type": "text/xml; charset=utf-8", Authorization: AUTH, "Content-Length": bytes.length, Connection: "close" } },
            (res) => {
              res.resume();
              res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
            },
          );
          req.on("error", (error: NodeJS.ErrnoException) => resolve({ status: -1, ms: performance.now() - t0, ...(error.code ? {} : {}) }));
          req.end(bytes);
        }),
    ),
  );
  const wallMs = performance.now() - started;
  const peakKb = vmHwmKb(child.pid!);
  child.kill("SIGTERM");
  const statuses: Record<string, number> = {};
  for (const result of results) statuses[result.status] = (statuses[result.status] ?? 0) + 1;
  const sorted = results.map((result) => result.ms).sort((a, b) => a - b);
  const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  console.log(
    JSON.stringify({
      shape: values.shape,
      requests: REQUESTS,
      bodyBytes: bodies[0]!.length,
      statuses,
      p50Ms: pct(50),
      p99Ms: pct(99),
      maxMs: Math.round(sorted.at(-1)!),
      wallMs: Math.round(wallMs),
      rssAtStartMb: Math.round(rssBefore / 1024),
      peakRssMb: Math.round(peakKb / 1024),
    }),
  );
}

function vmHwmKb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0);
}

await main();
