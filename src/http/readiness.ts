/**
 * /readyz (SPEC §3): ready when the configuration is loaded and every
 * dependency a request needs answers — the store, the replay cache and the
 * throttle store — each named in the body with its state. Each check has its
 * own timeout and they run at once, so a frozen dependency makes /readyz
 * answer 503 within READINESS_TIMEOUT_MS rather than hang.
 *
 *   store (postgres): ok
 *   replay cache (redis): unavailable: ECONNREFUSED
 *   throttle store (redis): unavailable: ECONNREFUSED
 */
import { errorReason, withTimeout, type Dependency } from "../dependency.js";

export const READINESS_TIMEOUT_MS = 1_500;

export interface DependencyProbe {
  readonly dependency: Dependency;
  /** What it is, for the operator: `sqlite`, `postgres`, `redis`, `memory`. */
  readonly kind: string;
  ping(): Promise<void>;
}

export interface Readiness {
  readonly ready: boolean;
  readonly lines: readonly string[];
}

export async function checkReadiness(probes: readonly DependencyProbe[]): Promise<Readiness> {
  const results = await Promise.all(
    probes.map(async (probe) => {
      try {
        await withTimeout(probe.dependency, probe.ping(), READINESS_TIMEOUT_MS);
        return { ok: true, line: `${probe.dependency} (${probe.kind}): ok` };
      } catch (error) {
        return { ok: false, line: `${probe.dependency} (${probe.kind}): unavailable: ${errorReason(error)}` };
      }
    }),
  );
  return { ready: results.every((result) => result.ok), lines: results.map((result) => result.line) };
}

/** The kind of a store or replay-cache URL, for the readiness lines. */
export function dependencyKind(url: string): string {
  if (url.startsWith("sqlite:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgres";
  if (url.startsWith("redis://") || url.startsWith("rediss://")) return "redis";
  return url === "memory" ? "memory" : "unknown";
}
