/**
 * The element-heavy end-to-end figure of issue 14, and where its time goes
 * after the WS-Security decision: a signed ~1 MB `insertMultiple` (about
 * 4,300 records of 4 columns) sent to a real gateway on 127.0.0.1 (SQLite
 * file store with the default `synchronous=FULL`, memory replay cache, audit
 * log to a discarding stream), one request at a time on one keep-alive
 * connection; then, in-process on the same parsed request, the stages after
 * the decision on their own: the operation (records read from the tree,
 * values checked, the store's batch insert) and the response serialization.
 * Prints medians in milliseconds. Not a test: figures only.
 *
 *   node --import tsx bench/insert-multiple.ts [--size 1m] [--requests 15]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { ManualClock } from "../src/clock.js";
import { startGateway } from "../src/http/server.js";
import { createLogger } from "../src/observability/logger.js";
import { ALLOW_ALL_COLUMNS, runOperation } from "../src/operations/index.js";
import { parseSoapEnvelope } from "../src/pipeline/parse-envelope.js";
import { serializeOperationResponse } from "../src/soap/response.js";
import { openStore } from "../src/store/open.js";
import { postSoap } from "./http.js";
import { BENCH_USER, loadBenchConfig, makeKeys, makeSignedEnvelope, parseSize, resign, writeConfigDir } from "./fixtures.js";

const { values } = parseArgs({ options: { size: { type: "string", default: "1m" }, requests: { type: "string", default: "15" } } });
const REQUESTS = Number(values.requests);

const keys = makeKeys();
const configDir = writeConfigDir(keys);
const config = loadBenchConfig(configDir);
const envelope = makeSignedEnvelope(keys, values.size!, parseSize(values.size!));
const recordCount = (envelope.xml.match(/<record>/g) ?? []).length;
const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-insert-"));

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function endToEnd(): Promise<number[]> {
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const gateway = await startGateway({
    configDir,
    host: "127.0.0.1",
    port: 0,
    store: `sqlite:${join(dataDir, "http.db")}`,
    replayCache: "memory",
    logger: createLogger({ level: "info", destination: discard }),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const authorization = `Basic ${Buffer.from(`${BENCH_USER.name}:${BENCH_USER.password}`).toString("base64")}`;
  const bodies = Array.from({ length: REQUESTS + 3 }, () => resign(keys, envelope));
  const times: number[] = [];
  try {
    for (const [index, body] of bodies.entries()) {
      const start = performance.now();
      await postSoap(`${gateway.url}/incident.do?SOAP`, body, authorization, agent, 120_000);
      if (index >= 3) times.push(performance.now() - start); // 3 warm-up requests
    }
  } finally {
    agent.destroy();
    await gateway.close();
  }
  return times;
}

async function stages(): Promise<{ operation: number[]; serialize: number[] }> {
  const store = await openStore(`sqlite:${join(dataDir, "stages.db")}`);
  const table = config.tables.get("incident")!;
  await store.ensureTables([table]);
  const parsed = parseSoapEnvelope(Buffer.from(envelope.xml), "1.1", config.gateway.limits);
  if (parsed.kind !== "envelope") throw new Error(`bench envelope not parsed: ${parsed.kind}`);
  const element = firstElement(parsed.envelope.body);
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const operation: number[] = [];
  const serialize: number[] = [];
  try {
    for (let i = 0; i < REQUESTS + 3; i++) {
      const t0 = performance.now();
      const response = await runOperation({ table, operation: "insertMultiple", element, sessionUser: "partner.soap", store, access: ALLOW_ALL_COLUMNS, clock });
      const t1 = performance.now();
      serializeOperationResponse("1.1", "incident", "insertMultiple", response.items);
      const t2 = performance.now();
      if (i >= 3) {
        operation.push(t1 - t0);
        serialize.push(t2 - t1);
      }
    }
  } finally {
    await store.close();
  }
  return { operation, serialize };
}

function firstElement(body: { firstChild: unknown }): import("../src/xml/tree.js").Element {
  for (let node = body.firstChild as import("../src/xml/tree.js").Node | null; node; node = node.nextSibling) {
    if (node.nodeType === 1) return node as import("../src/xml/tree.js").Element;
  }
  throw new Error("no operation element");
}

try {
  const http = await endToEnd();
  const { operation, serialize } = await stages();
  console.log(
    JSON.stringify({
      bytes: envelope.bytes.length,
      records: recordCount,
      requests: REQUESTS,
      httpP50Ms: Number(median(http).toFixed(1)),
      operationP50Ms: Number(median(operation).toFixed(1)),
      serializeP50Ms: Number(median(serialize).toFixed(1)),
    }),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
  rmSync(keys.dir, { recursive: true, force: true });
}
