/**
 * What the in-process A/B benches (`ab-gateways.ts`, `ab-get.ts`) share:
 * loading a build of the gateway from a source tree, and the main thread's
 * CPU time.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The modules of the gateway in the source tree `root` that a bench starts a gateway with. */
export async function loadBuild(root: string) {
  return {
    server: (await import(join(root, "src/http/server.ts"))) as typeof import("../src/http/server.js"),
    logger: (await import(join(root, "src/observability/logger.ts"))) as typeof import("../src/observability/logger.js"),
  };
}

/** This (the main) thread's CPU time in µs: utime + stime of /proc/self/task/<pid>/stat (clock ticks of 10 ms). */
export function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}
