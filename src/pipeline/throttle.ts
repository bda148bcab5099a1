/**
 * Stage helpers: brute-force throttling (SPEC §3 429) around the credential
 * checks. The client address is checked right after routing, before the body
 * is read, so a blocked client costs nothing; a claimed user name is checked
 * just before its credential would be verified (Basic, UsernameToken), and
 * each failed credential is counted. The rules live in src/abuse/.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FailureStore, ThrottleSettings } from "../abuse/failure-store.js";
import type { AuditRecord } from "../observability/audit.js";
import { recordCredentialFailure, recordThrottle, type CredentialSource, type GatewayMetrics, type ThrottleScope } from "../observability/metrics.js";
import type { GatewayResponse } from "../http/state.js";

export type ThrottleResult =
  | { readonly kind: "open" }
  /** The attempt was held back by `delayMs` and may go on. */
  | { readonly kind: "slowed"; readonly delayMs: number }
  | { readonly kind: "refused"; readonly scope: ThrottleScope; readonly retryAfterSeconds: number };

export async function throttleClientAddress(tracker: FailureStore, clientAddress: string): Promise<ThrottleResult> {
  const verdict = await tracker.checkAddress(clientAddress);
  return verdict.kind === "blocked" ? { kind: "refused", scope: "address", retryAfterSeconds: verdict.retryAfterSeconds } : { kind: "open" };
}

/** Refuses a blocked user name, or waits out its slow-down before the credential is checked. */
export async function throttleClaimedUser(tracker: FailureStore, userName: string | undefined, settings: ThrottleSettings): Promise<ThrottleResult> {
  if (userName === undefined) return { kind: "open" };
  const verdict = await tracker.checkUser(userName, settings);
  switch (verdict.kind) {
    case "open":
      return verdict;
    case "blocked":
      return { kind: "refused", scope: "user", retryAfterSeconds: verdict.retryAfterSeconds };
    case "slowed":
      await sleep(verdict.delayMs);
      return verdict;
    default: {
      const unreachable: never = verdict;
      return unreachable;
    }
  }
}

/** Notes a throttle result in the audit line and the metrics; returns the 429 when refused. */
export function settleThrottle(result: ThrottleResult, audit: AuditRecord, metrics: GatewayMetrics): GatewayResponse | undefined {
  switch (result.kind) {
    case "open":
      return undefined;
    case "slowed":
      audit.throttle = { kind: "slowed", scope: "user", delayMs: result.delayMs };
      recordThrottle(metrics, "user", "slowed");
      return undefined;
    case "refused":
      audit.reason = "throttled";
      audit.throttle = { kind: "refused", scope: result.scope, retryAfterSeconds: result.retryAfterSeconds };
      recordThrottle(metrics, result.scope, "refused");
      return tooManyRequests(result.retryAfterSeconds);
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}

/** Counts one failed credential against the client address and the claimed user name. */
export async function countCredentialFailure(
  input: { readonly tracker: FailureStore; readonly metrics: GatewayMetrics; readonly settings: ThrottleSettings },
  failure: { readonly clientAddress: string; readonly userName: string | undefined; readonly source: CredentialSource },
): Promise<void> {
  await input.tracker.recordFailure({ clientAddress: failure.clientAddress, userName: failure.userName }, input.settings);
  recordCredentialFailure(input.metrics, failure.source);
}

function tooManyRequests(retryAfterSeconds: number): GatewayResponse {
  return {
    kind: "http-error",
    status: 429,
    message: "too many failed authentication attempts; retry later",
    headers: { "Retry-After": String(Math.max(1, retryAfterSeconds)) },
  };
}
