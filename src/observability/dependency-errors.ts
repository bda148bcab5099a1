/**
 * What an operator sees when a dependency fails: every failed or timed-out
 * call is counted (`wss_gateway_dependency_errors_total{dependency}`) and
 * logged at error level — at most one line per dependency every 10 s, with
 * how many failures that line stands for, so an outage does not flood the log.
 *
 * `reportingFailures` wraps a dependency (replay cache, store) so that its
 * failures are reported where they happen and reach the pipeline as
 * DependencyUnavailableError, whatever the caller does with them.
 */
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { DependencyUnavailableError, errorReason, type Dependency } from "../dependency.js";
import { recordDependencyError, type DependencyLabel, type GatewayMetrics } from "./metrics.js";

export interface DependencyReporter {
  report(error: DependencyUnavailableError): void;
}

const LOG_INTERVAL_MS = 10_000;

const LABELS: Record<Dependency, DependencyLabel> = { store: "store", "replay cache": "replay_cache", "throttle store": "throttle_store" };

export function createDependencyReporter(options: { readonly logger: Logger; readonly metrics: GatewayMetrics; readonly clock: Clock }): DependencyReporter {
  const lastLoggedAtMs = new Map<Dependency, number>();
  const unlogged = new Map<Dependency, number>();
  return {
    report(error) {
      recordDependencyError(options.metrics, LABELS[error.dependency]);
      const nowMs = options.clock.now().getTime();
      const failures = (unlogged.get(error.dependency) ?? 0) + 1;
      if (nowMs - (lastLoggedAtMs.get(error.dependency) ?? Number.NEGATIVE_INFINITY) < LOG_INTERVAL_MS) {
        unlogged.set(error.dependency, failures);
        return;
      }
      lastLoggedAtMs.set(error.dependency, nowMs);
      unlogged.set(error.dependency, 0);
      options.logger.error(
        { dependency: error.dependency, reason: error.reason, failures },
        `${error.dependency} unavailable: requests that need it get 503 Service temporarily unavailable`,
      );
    },
  };
}

/**
 * `target` with each method except those in `except` reporting its failures: an error
 * that `isFailure` accepts (default: every error) becomes a reported
 * DependencyUnavailableError; any other error (a client fault raised inside
 * a store transaction) passes through untouched.
 */
export function reportingFailures<T extends object>(
  target: T,
  dependency: Dependency,
  reporter: DependencyReporter,
  except: readonly (keyof T & string)[],
  isFailure: (error: unknown) => boolean = () => true,
): T {
  const unwrapped = new Set<string>(except);
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof property !== "string" || unwrapped.has(property) || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown).apply(object, args);
        } catch (error) {
          if (!(error instanceof DependencyUnavailableError) && !isFailure(error)) throw error;
          const failure = error instanceof DependencyUnavailableError ? error : new DependencyUnavailableError(dependency, errorReason(error));
          reporter.report(failure);
          throw failure;
        }
      };
    },
  });
}
