/**
 * Throw-away redis-server and PostgreSQL instances of a test's own, on free
 * loopback ports, so that the test can stop, restart, flush or freeze
 * (SIGSTOP) them without touching the servers other tests share.
 *
 *   const redis = await startOwnRedis();        // redis.url, redis.stop(), redis.restart()
 *   const pg = await startOwnPostgres();        // pg.url, pg.stop(), pg.start(), pg.freeze(), pg.thaw()
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A TCP port nobody listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILL, like a crash: an in-memory Redis loses everything. */
  stop(): Promise<void>;
  /** A new redis-server on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** redis-cli on this server, e.g. `cli("FLUSHALL")`. */
  cli(...args: string[]): string;
}

export async function startOwnRedis(port?: number): Promise<OwnRedis> {
  const chosen = port ?? (await freePort());
  let child: ChildProcess | undefined;
  const start = async () => {
    const spawned = spawn("redis-server", ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("redis-server did not start")), 10_000);
      spawned.stdout!.on("data", (chunk) => {
        if (String(chunk).includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      spawned.once("exit", (code) => reject(new Error(`redis-server exited (${code})`)));
    });
    child = spawned;
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    stop,
    start,
    cli: (...args) => execFileSync("redis-cli", ["-p", String(chosen), ...args], { encoding: "utf8" }).trim(),
  };
}

export interface OwnPostgres {
  readonly url: string;
  readonly port: number;
  start(): void;
  /** pg_ctl stop -m immediate: the server is gone at once. */
  stop(): void;
  /** SIGSTOP to the postmaster and every backend: connections stay open, nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Stops the server and deletes its data directory. */
  destroy(): void;
}

const POSTGRES_BIN = (() => {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(a) - Number(b));
  return versions.length > 0 ? join(root, versions.at(-1)!, "bin") : undefined;
})();

/** Why PostgreSQL tests cannot run here, or undefined. */
export const postgresMissing: string | undefined = POSTGRES_BIN && existsSync(join(POSTGRES_BIN, "initdb")) ? undefined : "PostgreSQL server binaries are not installed";

export async function startOwnPostgres(port?: number): Promise<OwnPostgres> {
  if (!POSTGRES_BIN) throw new Error(postgresMissing);
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "wss-own-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "db");
  // initdb refuses to run as root: run the server tools as the postgres user then.
  const asServerUser = (command: string, args: string[]) => {
    const line = [join(POSTGRES_BIN, command), ...args].map((part) => `'${part}'`).join(" ");
    if (process.getuid?.() === 0) execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", line], { stdio: "pipe" });
    else execFileSync("/bin/sh", ["-c", line], { stdio: "pipe" });
  };
  asServerUser("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  const start = () =>
    asServerUser("pg_ctl", ["-D", data, "-o", `-p ${chosen} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-l", join(dir, "log"), "-w", "start"]);
  const stop = () => asServerUser("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
  const processes = (): number[] => {
    const postmaster = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    const children = execFileSync("ps", ["-o", "pid=", "--ppid", String(postmaster)], { encoding: "utf8" })
      .split("\n")
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
    return [postmaster, ...children];
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${chosen}/postgres`,
    port: chosen,
    start,
    stop,
    freeze: () => {
      for (const pid of processes()) process.kill(pid, "SIGSTOP");
    },
    thaw: () => {
      for (const pid of processes()) process.kill(pid, "SIGCONT");
    },
    destroy: () => {
      try {
        if (existsSync(join(data, "postmaster.pid"))) {
          for (const pid of processes()) process.kill(pid, "SIGCONT");
          stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
