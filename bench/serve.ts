/**
 * The real CLI, `wss-gateway serve` (bin/wss-gateway.js: dist/ when built,
 * else the sources through tsx), as a child process on 127.0.0.1 with port
 * 0, optionally pinned with `taskset -c CPU` (the JVM-free equivalent of
 * what an operator does). Its JSON log lines (one audit line per request)
 * are read until the "listening" line gives the URL, then discarded.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = `${ROOT}bin/wss-gateway.js`;

export interface ServedGateway {
  readonly url: string;
  /** The pid of the serving process (the primary with --workers N > 1). */
  readonly pid: number;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

/** Which code bin/wss-gateway.js runs. */
export function servedCode(): string {
  return existsSync(`${ROOT}dist/cli/main.js`) ? "dist/ (compiled; must be current: npm run build)" : "src/ through tsx (no dist/)";
}

export async function serveGateway(args: readonly string[], options: { readonly cpu?: string; readonly workers?: number; readonly nodeArgs?: readonly string[]; readonly root?: string } = {}): Promise<ServedGateway> {
  const bin = options.root === undefined ? BIN : `${options.root}/bin/wss-gateway.js`; // another build's tree (A/B benches)
  const node = [process.execPath, ...(options.nodeArgs ?? []), bin, "serve", "--host", "127.0.0.1", "--port", "0", ...args];
  const [command, ...rest] = options.cpu === undefined ? node : ["taskset", "-c", options.cpu, ...node];
  const child = spawn(command!, rest, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "info" } });
  const readyMessage = (options.workers ?? 1) > 1 ? "wss-gateway workers listening" : "wss-gateway listening";
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start within 90 s\n${stderr}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      stdout += String(chunk);
      const lines = stdout.split("\n");
      stdout = lines.pop()!; // an incomplete last line waits for the next chunk
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg !== readyMessage || typeof entry.url !== "string") continue;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume(); // audit lines from now on are not kept
        resolve(entry.url);
        return;
      }
    };
    child.stdout!.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${child.exitCode}) before it was ready\n${stderr}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The peak resident set size of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) / 1024;
}

let clockTicks: number | undefined;

/** CPU time (user + system, every thread) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}
