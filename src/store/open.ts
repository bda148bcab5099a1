/** Opens the store named by a `--store` URL (SPEC §1). */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SqliteStore, type SqliteSynchronous } from "./sqlite.js";
import type { SyncFile } from "./wal-sync.js";
import type { Store } from "./types.js";

const SQLITE_PREFIX = "sqlite:";

const SYNCHRONOUS_MODES: readonly SqliteSynchronous[] = ["full", "normal", "extra"];

/**
 * `sqlite:PATH[?synchronous=full|normal|extra]` (the parent directory is
 * created; `sqlite::memory:` for a throw-away database; `synchronous`
 * defaults to `full`: an acknowledged write survives a power loss) or
 * `postgres://…` / `postgresql://…`. `syncFile` replaces the SQLite WAL's
 * fdatasync (tests: src/store/wal-sync.ts).
 */
export async function openStore(url: string, options: { readonly syncFile?: SyncFile } = {}): Promise<Store> {
  if (url.startsWith(SQLITE_PREFIX)) {
    const { path, synchronous } = parseSqliteUrl(url.slice(SQLITE_PREFIX.length));
    if (path === ":memory:") return SqliteStore.open(path, { synchronous });
    const absolute = resolve(path);
    mkdirSync(dirname(absolute), { recursive: true });
    return SqliteStore.open(absolute, { synchronous, ...options });
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const { PostgresStore } = await import("./postgres.js");
    return PostgresStore.open(url);
  }
  throw new Error("unsupported store URL: use sqlite:PATH or postgres://…");
}

function parseSqliteUrl(rest: string): { path: string; synchronous: SqliteSynchronous } {
  const question = rest.indexOf("?");
  const path = question === -1 ? rest : rest.slice(0, question);
  if (path === "") throw new Error("store URL sqlite: needs a file path");
  const params = new URLSearchParams(question === -1 ? "" : rest.slice(question + 1));
  let synchronous: SqliteSynchronous = "full";
  for (const [name, value] of params) {
    if (name !== "synchronous") throw new Error(`store URL sqlite:${path}: unknown parameter ${name} (expected synchronous)`);
    const mode = value.toLowerCase() as SqliteSynchronous;
    if (!SYNCHRONOUS_MODES.includes(mode)) throw new Error(`store URL sqlite:${path}: synchronous must be one of ${SYNCHRONOUS_MODES.join(", ")}, got ${value}`);
    synchronous = mode;
  }
  return { path, synchronous };
}
