/**
 * `npm run bench:worst` — the most expensive requests that fit within the
 * default limits (max_body_bytes 4 MiB, max_xml_depth 128, max_xml_elements
 * 100000, max_attributes_per_element 64, max_signature_references 30), each
 * sent once to a real `wss-gateway serve` child process on 127.0.0.1. For
 * each: the answer, the wall time, the gateway process's CPU time
 * (/proc/PID/stat utime+stime) and peak RSS (/proc/PID/status VmHWM, reset
 * through /proc/PID/clear_refs before each request), and /healthz polled
 * every 20 ms meanwhile (how many answered, the slowest). A measurement, not
 * a test: nothing here asserts a time. docs/hardening.md quotes its output.
 *
 *   npm run bench:worst -- [--repeat N] [--only name,name]
 *   taskset -c 1 npm run bench:worst     # pin it on a shared machine
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createPrivateKey } from "node:crypto";
import type { Element } from "@xmldom/xmldom";
import { NS } from "../src/xml/ns.js";
import { ensureSecurityHeader, parseEnvelope, serializeEnvelope } from "../src/wss/sign/envelope-dom.js";
import { buildTimestamp } from "../src/wss/sign/timestamp.js";
import { buildBinarySecurityToken, buildKeyInfo } from "../src/wss/sign/key-info.js";
import { readSignerCertificate } from "../src/wss/sign/signer-certificate.js";
import { buildSignature, computeSignatureValue } from "../src/wss/sign/xml-signature.js";
import { BENCH_USER, makeKeys, writeConfigDir, type BenchKeys } from "./fixtures.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_REFERENCES = 30;
const MAX_DEPTH = 128;
const MAX_ELEMENTS = 100_000;
const MAX_ATTRIBUTES = 64;
const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux
const AUTHORIZATION = `Basic ${Buffer.from(`${BENCH_USER.name}:${BENCH_USER.password}`).toString("base64")}`;
const SOAP_OPEN =
  `<soapenv:Envelope xmlns:soapenv="${NS.soap11}" xmlns:inc="http://www.service-now.com/incident" xmlns:wsu="${NS.wsu}" xmlns:w="urn:bench:wrap">`;

interface WorstCase {
  readonly name: string;
  readonly what: string;
  /** A freshly signed request per run (a second copy would be a replay, refused more cheaply). */
  readonly build: () => { readonly xml: string; readonly references: number };
  readonly authorization: string | undefined;
}

// ------------------------------------------------------------ envelopes

/** Signs `xml` over the Timestamp and every element carrying a `wsu:Id` (in document order), BST reference, exclusive c14n, RSA-SHA256. */
function signAllIds(keys: BenchKeys, xml: string, options: { junkSignatureValue?: boolean } = {}): { xml: string; references: number } {
  const dom = parseEnvelope(xml);
  const security = ensureSecurityHeader(dom, true);
  const timestamp = buildTimestamp(dom.document, "TS-1", new Date(), 300);
  security.appendChild(timestamp);
  const certificate = readSignerCertificate(keys.certPem);
  security.appendChild(buildBinarySecurityToken(dom.document, "X509-1", certificate));
  const parts = [{ id: "TS-1", target: timestamp }];
  const all = dom.document.getElementsByTagNameNS("*", "*");
  for (let i = 0; i < all.length; i++) {
    const element = all[i] as Element;
    const id = element.getAttributeNS(NS.wsu, "Id");
    if (id && element !== timestamp && element.parentNode !== security) parts.push({ id, target: element });
  }
  const signature = buildSignature(dom.document, {
    parts,
    digest: "sha256",
    signatureHash: "sha256",
    keyType: "rsa",
    canonicalization: "exclusive",
    keyInfo: buildKeyInfo(dom.document, { kind: "bst", tokenId: "X509-1" }, certificate, "STR-1"),
    signatureId: "SIG-1",
  });
  security.appendChild(signature);
  computeSignatureValue(signature, createPrivateKey(keys.keyPem), "rsa", "sha256", "exclusive");
  let signed = serializeEnvelope(dom);
  if (options.junkSignatureValue) {
    signed = signed.replace(/(<ds:SignatureValue>)([^<]+)/, (_, open: string, value: string) => open + "A".repeat(value.length - 4) + "AA==");
  }
  return { xml: signed, references: parts.length };
}

/** Pads text so that the signed message is just under max_body_bytes. */
function fitToLimit(build: (padding: number) => string, sign: (xml: string) => { xml: string; references: number }): { xml: string; references: number } {
  const overhead = Buffer.byteLength(sign(build(0)).xml);
  let padding = MAX_BODY_BYTES - overhead - 64;
  for (;;) {
    const signed = sign(build(padding));
    const size = Buffer.byteLength(signed.xml);
    if (size <= MAX_BODY_BYTES) return signed;
    padding -= size - MAX_BODY_BYTES + 64;
  }
}

function insertEnvelope(header: string, notes: string, number: string): string {
  return `${SOAP_OPEN}<soapenv:Header>${header}</soapenv:Header><soapenv:Body wsu:Id="Body-1"><inc:insert><number>${number}</number><notes>${notes}</notes></inc:insert></soapenv:Body></soapenv:Envelope>`;
}

/** 28 header blocks nested in each other, each with a wsu:Id; the innermost holds `payload`. With Timestamp and Body: 30 References. */
function nestedSignedHeaders(payload: string): string {
  const depth = MAX_REFERENCES - 2;
  let open = "";
  let close = "";
  for (let i = 1; i <= depth; i++) {
    open += `<w:Part wsu:Id="Part-${i}">`;
    close = `</w:Part>${close}`;
  }
  return `${open}${payload}${close}`;
}

function worstCases(keys: BenchKeys): WorstCase[] {
  const sign = (xml: string) => signAllIds(keys, xml);
  const cases: WorstCase[] = [];

  let run = 0;
  const largest = () => fitToLimit((n) => insertEnvelope("", "x".repeat(n), `WORST-LARGEST-${++run}`), sign);
  cases.push({
    name: "largest-body",
    what: "signed insert just under 4 MiB (one 4 MB text value), Timestamp + Body signed",
    build: largest,
    authorization: AUTHORIZATION,
  });

  cases.push({
    name: "max-references-nested",
    what: "30 References (Timestamp, Body, 28 nested header blocks around one 4 MB text): each digest covers ~4 MB",
    build: () => fitToLimit((n) => insertEnvelope(nestedSignedHeaders("y".repeat(n)), "n", `WORST-REFS-${++run}`), sign),
    authorization: AUTHORIZATION,
  });

  cases.push({
    name: "max-references-junk-signature",
    what: "the same 30 nested References with correct digests and a junk SignatureValue",
    build: () =>
      fitToLimit(
        (n) => insertEnvelope(nestedSignedHeaders("z".repeat(n)), "n", `WORST-JUNK-${++run}`),
        (xml) => signAllIds(keys, xml, { junkSignatureValue: true }),
      ),
    authorization: AUTHORIZATION,
  });

  // Deepest nesting and most elements: a chain 120 deep inside the Body, then flat elements up to the element limit.
  const chainDepth = MAX_DEPTH - 8;
  const elementsBody = (count: number) =>
    `${"<e>".repeat(chainDepth)}${"<a/>".repeat(count)}${"</e>".repeat(chainDepth)}`;
  cases.push({
    name: "deepest-most-elements",
    what: `signed Body ${chainDepth + 6} deep holding ~${MAX_ELEMENTS} elements (Client fault after verification: notes must be text)`,
    build: () => sign(insertEnvelope("", "", `WORST-ELEMENTS-${++run}`).replace("<notes></notes>", `<notes>${elementsBody(MAX_ELEMENTS - chainDepth - 40)}</notes>`)),
    authorization: AUTHORIZATION,
  });

  // Most attributes: elements with 32 namespace declarations and 32 attributes in those namespaces (64 in all).
  const half = MAX_ATTRIBUTES / 2;
  let attributes = "";
  for (let i = 0; i < half; i++) attributes += ` xmlns:p${i}="urn:p${i}" p${i}:a="${i}"`;
  const heavy = `<h${attributes}/>`;
  cases.push({
    name: "most-attributes",
    what: `signed Body of elements with ${MAX_ATTRIBUTES} attributes each (${half} namespace declarations + ${half} prefixed attributes), ~4 MiB`,
    build: () =>
      fitToLimit(
        (n) => insertEnvelope("", "", `WORST-ATTRS-${++run}`).replace("<notes></notes>", `<notes>${heavy.repeat(Math.max(0, Math.floor(n / heavy.length)))}</notes>`),
        sign,
      ),
    authorization: AUTHORIZATION,
  });

  cases.push({
    name: "unauthenticated-largest",
    what: "the largest-body request with a wrong Basic password (401 before the body is read)",
    build: largest,
    authorization: `Basic ${Buffer.from(`${BENCH_USER.name}:wrong`).toString("base64")}`,
  });
  return cases;
}

// ------------------------------------------------------------ the gateway process

/** The gateway's last log line (its audit line of the request just answered). */
let lastLog = "";

interface Served {
  readonly url: string;
  readonly child: ChildProcess;
}

async function serve(configDir: string, dbPath: string): Promise<Served> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--config", configDir, "--store", `sqlite:${dbPath}`, "--host", "127.0.0.1", "--port", "0"], {
    env: { ...process.env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (chunk) => {
    output += String(chunk);
    process.stderr.write(chunk);
  });
  child.once("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGTERM") process.stderr.write(`gateway exited: code ${code}, signal ${signal}\n`);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000);
    const listening = (chunk: Buffer) => {
      output += String(chunk);
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off("data", listening);
        child.stdout!.on("data", (more) => (lastLog = String(more).trim().split("\n").at(-1) ?? lastLog));
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", listening);
    child.once("exit", (code) => reject(new Error(`serve exited (${code}):\n${output}`)));
  });
  return { url, child };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND; // utime, stime
}

function memoryKb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? NaN);
}

function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

// ------------------------------------------------------------ measuring

interface Measurement {
  readonly status: number;
  readonly answer: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
  readonly healthzAnswered: number;
  readonly healthzFailed: number;
  readonly healthzSlowestMs: number;
}

async function measureOnce(served: Served, worst: WorstCase, body: Buffer): Promise<Measurement> {
  const pid = served.child.pid!;
  resetPeakRss(pid);
  const rssBefore = memoryKb(pid, "VmRSS");
  const cpuBefore = cpuSeconds(pid);
  let polling = true;
  let healthzAnswered = 0;
  let healthzSlowestMs = 0;
  let healthzFailed = 0;
  const poller = (async () => {
    while (polling) {
      const start = performance.now();
      try {
        // A fresh connection each time: a kept-alive one may be closed by the server's idle timeout mid-poll.
        const response = await fetch(`${served.url}/healthz`, { headers: { Connection: "close" } });
        await response.text();
        if (response.status === 200) healthzAnswered++;
      } catch {
        healthzFailed++;
      }
      healthzSlowestMs = Math.max(healthzSlowestMs, performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const headers: Record<string, string> = { "Content-Type": "text/xml; charset=utf-8" };
  if (worst.authorization) headers.Authorization = worst.authorization;
  if (process.env.WORST_DUMP_DIR) writeFileSync(join(process.env.WORST_DUMP_DIR, `${worst.name}.xml`), body);
  const start = performance.now();
  let response: { status: number; text: string };
  try {
    response = await post(`${served.url}/incident.do?SOAP`, headers, body);
  } catch (error) {
    const cause = (error as { code?: string }).code ?? String(error);
    response = { status: 0, text: `connection failed (${cause}) after ${(performance.now() - start).toFixed(0)} ms; gateway log: ${lastLog.slice(0, 300)}` };
  }
  const text = response.text;
  const wallMs = performance.now() - start;
  await new Promise((resolve) => setTimeout(resolve, 50)); // let /proc catch up with the last tick
  const cpuMs = (cpuSeconds(pid) - cpuBefore) * 1000;
  const peakRss = memoryKb(pid, "VmHWM");
  polling = false;
  await poller;
  const fault = /<faultstring>([^<]*)<\/faultstring>/.exec(text)?.[1];
  const answer = response.status === 200 ? "admitted" : fault ?? text.trim().slice(0, response.status === 0 ? 400 : 60);
  return {
    status: response.status,
    answer,
    wallMs,
    cpuMs,
    rssBeforeMb: rssBefore / 1024,
    peakRssMb: peakRss / 1024,
    healthzAnswered,
    healthzFailed,
    healthzSlowestMs,
  };
}

/** One POST on a connection of its own (no keep-alive reuse across the seconds spent building the next request). */
function post(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", agent: false, headers: { ...headers, "Content-Length": String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    // An early answer (401 before the body is read) may close the connection while the body is still being written.
    request.on("error", reject);
    request.end(body);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { repeat: { type: "string", default: "3" }, only: { type: "string" } }, strict: true });
  const repeat = Math.max(1, Number(values.repeat));
  const only = values.only?.split(",");
  const keys = makeKeys();
  const configDir = writeConfigDir(keys);
  // The bench configuration plus an unbounded text column for the large values.
  const tables = readFileSync(join(configDir, "tables.yaml"), "utf8").replace("      active: {type: boolean}\n", "      active: {type: boolean}\n      notes: {type: string}\n");
  writeFileSync(join(configDir, "tables.yaml"), tables);
  const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-worst-"));
  const served = await serve(configDir, join(dataDir, "gateway.db"));
  try {
    const cases = worstCases(keys).filter((worst) => !only || only.includes(worst.name));
    console.log(`wss-gateway worst requests within the default limits (node ${process.version}, ${repeat} run(s) each, medians)`);
    console.log("case | bytes | refs | answer | wall ms | CPU ms | RSS before MB | peak RSS MB | /healthz answered | /healthz failed | slowest /healthz ms");
    for (const worst of cases) {
      const runs: Measurement[] = [];
      let request = worst.build();
      for (let i = 0; i < repeat; i++) {
        if (i > 0) request = worst.build();
        runs.push(await measureOnce(served, worst, Buffer.from(request.xml)));
      }
      const last = runs[runs.length - 1]!;
      console.log(
        [
          worst.name,
          Buffer.byteLength(request.xml),
          request.references,
          `${last.status} ${last.answer}`,
          median(runs.map((r) => r.wallMs)).toFixed(0),
          median(runs.map((r) => r.cpuMs)).toFixed(0),
          median(runs.map((r) => r.rssBeforeMb)).toFixed(0),
          median(runs.map((r) => r.peakRssMb)).toFixed(0),
          median(runs.map((r) => r.healthzAnswered)),
          median(runs.map((r) => r.healthzFailed)),
          median(runs.map((r) => r.healthzSlowestMs)).toFixed(0),
        ].join(" | "),
      );
      console.log(`  ${worst.what}`);
    }
  } finally {
    served.child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
    rmSync(keys.dir, { recursive: true, force: true });
  }
}

await main();
