/**
 * The HTTP figure: requests per second through a real gateway on
 * 127.0.0.1 (temporary SQLite store, memory replay cache, audit log written
 * to a discarding stream), over `connections` keep-alive connections, each
 * sending one request at a time (so up to `connections` requests are in the
 * gateway at once). Every request carries a fresh signature (the replay cache is real),
 * so a round sends a fixed batch of envelopes signed beforehand; every
 * answer must be HTTP 200. The operation is insertMultiple, so the figure
 * includes the SQLite inserts of every record.
 */
import { request, Agent } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { performance } from "node:perf_hooks";
import { createLogger } from "../src/observability/logger.js";
import { startGateway } from "../src/http/server.js";
import { BENCH_USER, resign, type BenchEnvelope, type BenchKeys } from "./fixtures.js";
import type { MeasureOptions, Throughput } from "./measure.js";

/** About this many request bytes per round, so that pre-signing stays short at every size. */
const BYTES_PER_ROUND = 2_000_000;

export async function measureHttp(configDir: string, keys: BenchKeys, envelope: BenchEnvelope, options: MeasureOptions, connections = 1): Promise<Throughput> {
  const dataDir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-db-"));
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const gateway = await startGateway({
    configDir,
    host: "127.0.0.1",
    port: 0,
    store: `sqlite:${join(dataDir, "bench.db")}`,
    replayCache: "memory",
    logger: createLogger({ level: "info", destination: discard }),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const authorization = `Basic ${Buffer.from(`${BENCH_USER.name}:${BENCH_USER.password}`).toString("base64")}`;
  const batch = Math.max(3 * connections, Math.round(BYTES_PER_ROUND / envelope.bytes.length));
  try {
    const post = (body: string) => postSoap(`${gateway.url}/incident.do?SOAP`, body, authorization, agent);
    await sendAll(signBatch(keys, envelope, Math.min(batch, 20)), post, connections); // warm-up
    const rates: number[] = [];
    let iterations = 0;
    for (let round = 0; round < options.rounds; round++) {
      const bodies = signBatch(keys, envelope, batch);
      const start = performance.now();
      await sendAll(bodies, post, connections);
      rates.push((bodies.length * 1000) / (performance.now() - start));
      iterations += bodies.length;
    }
    rates.sort((a, b) => a - b);
    return { bestPerSecond: rates[rates.length - 1]!, medianPerSecond: rates[Math.floor(rates.length / 2)]!, iterations };
  } finally {
    agent.destroy();
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Sends every body, `connections` at a time (each connection one request after another). */
export async function sendAll<Body>(bodies: readonly Body[], post: (body: Body) => Promise<void>, connections: number): Promise<void> {
  let next = 0;
  const connection = async () => {
    while (next < bodies.length) await post(bodies[next++]!);
  };
  await Promise.all(Array.from({ length: connections }, connection));
}

function signBatch(keys: BenchKeys, envelope: BenchEnvelope, count: number): string[] {
  return Array.from({ length: count }, () => resign(keys, envelope));
}

/** POSTs one SOAP request; resolves on HTTP 200, rejects with the answer's start otherwise or after `timeoutMs`. */
export function postSoap(url: string, body: string | Buffer, authorization: string, agent: Agent, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "Content-Type": "text/xml; charset=utf-8", Authorization: authorization, "Content-Length": Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          if (response.statusCode === 200) resolve();
          else reject(new Error(`gateway answered HTTP ${response.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`));
        });
        response.on("error", reject);
      },
    );
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error("request timed out")));
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
