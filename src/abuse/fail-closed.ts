/**
 * What the throttle does when its store fails (a shared Redis unreachable or
 * too slow): the request gets 503 `Service temporarily unavailable` with
 * Retry-After (SPEC §7: a dependency that fails never turns into an
 * acceptance or a credential fault). Letting the request on unthrottled
 * would open unlimited password guessing for the outage; answering 503 also
 * tells a guesser nothing about the credential. The throttle shares the
 * replay cache's Redis, so signed requests would get 503 anyway.
 *
 * Every failed operation is counted (`wss_gateway_throttle_store_unavailable_total`
 * by operation, and `wss_gateway_dependency_errors_total{dependency="throttle_store"}`)
 * and logged at error level, rate-limited (observability/dependency-errors.ts).
 */
import { DependencyUnavailableError, errorReason } from "../dependency.js";
import type { DependencyReporter } from "../observability/dependency-errors.js";
import type { ThrottleStoreOperation } from "../observability/metrics.js";
import type { FailureStore } from "./failure-store.js";

export interface FailClosedOptions {
  readonly reporter: DependencyReporter;
  /** Called for every failed operation (for a metric). */
  readonly countUnavailable: (operation: ThrottleStoreOperation) => void;
}

export function failClosed(store: FailureStore, options: FailClosedOptions): FailureStore {
  const unavailable = (operation: ThrottleStoreOperation) => (error: unknown): never => {
    options.countUnavailable(operation);
    const failure = error instanceof DependencyUnavailableError ? error : new DependencyUnavailableError("throttle store", errorReason(error));
    options.reporter.report(failure);
    throw failure;
  };
  return {
    checkAddress: (clientAddress) => store.checkAddress(clientAddress).catch(unavailable("check")),
    checkUser: (userName, settings) => store.checkUser(userName, settings).catch(unavailable("check")),
    recordFailure: (failure, settings) => store.recordFailure(failure, settings).catch(unavailable("record")),
    // Not hidden: a scrape that fails shows no number rather than a false 0.
    blockedCounts: () => store.blockedCounts(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
