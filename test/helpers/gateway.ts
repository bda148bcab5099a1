/**
 * A real gateway on 127.0.0.1 (free port) over a temp configuration and a
 * real SQLite file, with its JSON log lines captured for assertions.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { pino } from "pino";
import type { Clock } from "../../src/clock.js";
import { startGateway, type RunningGateway } from "../../src/http/server.js";
import { openStore } from "../../src/store/open.js";
import type { SyncFile } from "../../src/store/wal-sync.js";
import { makeConfigDir, type ConfigFileName } from "./config-dir.js";

export interface TestGateway extends RunningGateway {
  readonly configDir: string;
  readonly dbPath: string;
  /** Every log line written so far, parsed. */
  readonly logLines: () => Record<string, unknown>[];
  /** Every log line written so far, raw. */
  readonly rawLog: () => string;
  /** Rows of a table, read straight from the SQLite file. */
  readonly rows: (table: string) => Record<string, unknown>[];
}

export async function startTestGateway(
  options: {
    files?: Partial<Record<ConfigFileName, string>>;
    extra?: Record<string, string | Buffer>;
    configDir?: string;
    clock?: Clock;
    replayCache?: string;
    watchConfig?: boolean;
    /** A --metrics-port listener on a free loopback port (/metrics, /readyz, /admin/). */
    metricsListener?: boolean;
    tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
    bodyReadTimeoutMs?: number;
    /** Replaces the SQLite WAL's fdatasync (test/helpers/held-sync.ts). */
    syncFile?: SyncFile;
  } = {},
): Promise<TestGateway> {
  const configDir = options.configDir ?? makeConfigDir(options.files ?? {}, options.extra);
  const dbPath = join(mkdtempSync(join(tmpdir(), "wss-gateway-db-")), "gateway.db");
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = pino({ level: "debug", base: undefined }, destination);
  const gateway = await startGateway({
    configDir,
    host: "127.0.0.1",
    port: 0,
    store: `sqlite:${dbPath}`,
    replayCache: options.replayCache ?? "memory",
    clock: options.clock,
    logger,
    watchConfig: options.watchConfig,
    metricsListener: options.metricsListener ? { port: 0, host: "127.0.0.1" } : undefined,
    ...(options.tls ? { tls: options.tls } : {}),
    bodyReadTimeoutMs: options.bodyReadTimeoutMs,
    ...(options.syncFile ? { openStore: (url: string) => openStore(url, { syncFile: options.syncFile }) } : {}),
    // The gateway runs in the test's own process, whose event loop stops while a test runs a
    // synchronous signer (java, xmlsec1, tsx) for seconds: with Node's 5 s default, the server's
    // and fetch's idle timers then expire together and fetch reuses a socket the server is closing.
    keepAliveTimeoutMs: 120_000,
  });
  const rawLog = () => chunks.join("");
  return {
    ...gateway,
    reload: gateway.reload,
    close: gateway.close,
    configDir,
    dbPath,
    rawLog,
    logLines: () =>
      rawLog()
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    rows: (table) => {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
  };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export const SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";
export const SOAP12 = "http://www.w3.org/2003/05/soap-envelope";

/** A SOAP 1.1 (or 1.2) envelope whose Body holds `<tns:{operation}>` with unqualified children. */
export function soapEnvelope(table: string, operation: string, children: string, version: "1.1" | "1.2" = "1.1"): string {
  const ns = version === "1.1" ? SOAP11 : SOAP12;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="${ns}" xmlns:tns="http://www.service-now.com/${table}">` +
    `<soapenv:Header/><soapenv:Body><tns:${operation}>${children}</tns:${operation}></soapenv:Body></soapenv:Envelope>`
  );
}

export async function postSoap(
  gateway: { url: string },
  table: string,
  body: string | Buffer,
  options: { authorization?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const headers: Record<string, string> = { "Content-Type": options.contentType ?? "text/xml; charset=utf-8", ...options.headers };
  if (options.authorization) headers.Authorization = options.authorization;
  const response = await fetch(`${gateway.url}/${table}.do?SOAP`, { method: "POST", headers, body: typeof body === "string" ? body : new Uint8Array(body) });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** The text of the first element with this local name (a test convenience, not a parser). */
export function textOf(xml: string, localName: string): string | undefined {
  const match = new RegExp(`<(?:[A-Za-z0-9_]+:)?${localName}(?:\\s[^>]*)?>([^<]*)</`).exec(xml);
  return match?.[1];
}
