/** Opens the store named by a `--store` URL (SPEC §1). */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";

const SQLITE_PREFIX = "sqlite:";

/**
 * `sqlite:PATH` (the parent directory is created; `sqlite::memory:` for a
 * throw-away database) or `postgres://…` / `postgresql://…`.
 */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith(SQLITE_PREFIX)) {
    const path = url.slice(SQLITE_PREFIX.length);
    if (path === "") throw new Error("store URL sqlite: needs a file path");
    if (path === ":memory:") return SqliteStore.open(path);
    const absolute = resolve(path);
    mkdirSync(dirname(absolute), { recursive: true });
    return SqliteStore.open(absolute);
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const { PostgresStore } = await import("./postgres.js");
    return PostgresStore.open(url);
  }
  throw new Error("unsupported store URL: use sqlite:PATH or postgres://…");
}
