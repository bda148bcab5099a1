/**
 * What the throttle does when its store fails (a shared Redis unreachable or
 * too slow): it lets the request on, as if nothing were counted, and reports
 * it. The throttle only rations credential checks; the check itself still
 * runs on every request and fails closed, so an outage weakens brute-force
 * protection for its duration but never admits a wrong credential. Failing
 * closed instead would turn a Redis hiccup into refusing every login. (The
 * replay cache, which decides admission itself, fails closed.)
 *
 * Every failed operation is counted (a metric to alert on); the warning is
 * logged at most once a minute so an outage does not flood the log.
 */
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { ThrottleStoreOperation } from "../observability/metrics.js";
import type { FailureStore } from "./failure-store.js";

export interface FailOpenOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Called for every failed operation (for a metric). */
  readonly countUnavailable: (operation: ThrottleStoreOperation) => void;
}

const WARN_INTERVAL_MS = 60_000;

export function failOpen(store: FailureStore, options: FailOpenOptions): FailureStore {
  let lastWarnedAtMs = Number.NEGATIVE_INFINITY;
  const unavailable = (operation: ThrottleStoreOperation, error: unknown) => {
    options.countUnavailable(operation);
    const nowMs = options.clock.now().getTime();
    if (nowMs - lastWarnedAtMs < WARN_INTERVAL_MS) return;
    lastWarnedAtMs = nowMs;
    const reason = error instanceof Error ? error.message.slice(0, 200) : "unknown error";
    options.logger.warn({ operation, reason }, "brute-force throttle store unavailable: throttling is not enforced until it is back (credentials are still checked)");
  };
  return {
    checkAddress: (clientAddress) =>
      store.checkAddress(clientAddress).catch((error: unknown) => {
        unavailable("check", error);
        return { kind: "open" } as const;
      }),
    checkUser: (userName, settings) =>
      store.checkUser(userName, settings).catch((error: unknown) => {
        unavailable("check", error);
        return { kind: "open" } as const;
      }),
    recordFailure: (failure, settings) => store.recordFailure(failure, settings).catch((error: unknown) => unavailable("record", error)),
    // Not hidden: a scrape that fails shows no number rather than a false 0.
    blockedCounts: () => store.blockedCounts(),
    close: () => store.close(),
  };
}
