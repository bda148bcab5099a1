/**
 * Validator: time windows. A Created (of a Timestamp or a UsernameToken)
 * must not lie further in the future than the clock skew and must not be
 * older than the TTL; an Expires must not have passed — no skew is added to
 * Expires (as in WSS4J): the sender chose it, and it is a hard limit.
 */
import type { Clock } from "../../clock.js";

export interface FreshnessWindow {
  readonly ttlSeconds: number;
  readonly clockSkewSeconds: number;
}

export type FreshnessResult = { readonly kind: "fresh" } | { readonly kind: "expired"; readonly reason: string };

export function checkFreshness(
  what: string,
  created: Date,
  expires: Date | undefined,
  window: FreshnessWindow,
  clock: Clock,
): FreshnessResult {
  const nowMs = clock.now().getTime();
  const skewMs = window.clockSkewSeconds * 1000;
  const ageMs = nowMs - created.getTime();
  if (ageMs < -skewMs) return { kind: "expired", reason: `${what} Created is ${Math.round(-ageMs / 1000)}s in the future (skew ${window.clockSkewSeconds}s)` };
  if (ageMs > window.ttlSeconds * 1000) return { kind: "expired", reason: `${what} Created is ${Math.round(ageMs / 1000)}s old (TTL ${window.ttlSeconds}s)` };
  if (expires) {
    if (expires.getTime() <= created.getTime()) return { kind: "expired", reason: `${what} Expires is not after Created` };
    if (expires.getTime() < nowMs) return { kind: "expired", reason: `${what} Expires has passed` };
  }
  return { kind: "fresh" };
}
