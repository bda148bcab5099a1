/**
 * How one WS-Security decision uses the replay cache: the `replay` field of
 * WssInput (src/wss/types.ts). Two variants:
 *
 *  - `reservingReplayGuard(cache)` — the enforced decision. A first use is
 *    reserved in the cache (atomically, with the entry's full lifetime), so a
 *    concurrent duplicate is refused as a replay. When the request ends the
 *    pipeline calls `settle("executed")` (the entries stay until they expire)
 *    or `settle("not-executed")` (every reservation of this request is
 *    released: a refusal that is not about the message's authenticity, a
 *    store failure or a 503 does not use up the signature or nonce).
 *  - `checkOnlyReplayGuard(cache, { sameRequest })`, or `guard.checkOnly()`
 *    — a report-only evaluation (shadow policy, `explain`): answers whether
 *    a key is already held and records nothing. Keys that `sameRequest` (the
 *    enforced guard of the same request) reserved count as first use, so a
 *    shadow policy evaluated after the enforced decision does not see the
 *    request's own reservation as a replay.
 *
 * Either guard rejects when the cache cannot answer; the engine turns that
 * into the 503 fault `Service temporarily unavailable` (never an acceptance).
 */
import type { ReplayCache } from "./types.js";

export type ReplayAnswer = "first-use" | "replayed";

export interface ReplayGuard {
  /** Claims `key` for a message that stays acceptable until `expiresAt`. */
  claim(key: string, expiresAt: Date): Promise<ReplayAnswer>;
  /** A guard over the same cache that only reads (itself, for a check-only guard). */
  checkOnly(): ReplayGuard;
}

export interface RequestReplayGuard extends ReplayGuard {
  /** Whether this guard reserved `key` (and has not released it). */
  holds(key: string): boolean;
  /**
   * Ends the request: "executed" keeps the reservations, "not-executed"
   * releases them. Never rejects; "release-failed" means some entry could not
   * be released and stays until it expires (fail closed).
   */
  settle(outcome: "executed" | "not-executed"): Promise<"settled" | "release-failed">;
}

export function reservingReplayGuard(cache: ReplayCache): RequestReplayGuard {
  const reserved = new Map<string, string>();
  const guard: RequestReplayGuard = {
    async claim(key, expiresAt) {
      const reservation = await cache.reserve(key, expiresAt);
      if (reservation.kind === "replayed") return "replayed";
      reserved.set(key, reservation.token);
      return "first-use";
    },
    holds: (key) => reserved.has(key),
    async settle(outcome) {
      const held = [...reserved];
      reserved.clear();
      if (outcome === "executed") return "settled";
      const results = await Promise.allSettled(held.map(([key, token]) => cache.release(key, token)));
      return results.every((result) => result.status === "fulfilled") ? "settled" : "release-failed";
    },
    checkOnly: () => checkOnlyReplayGuard(cache, { sameRequest: guard }),
  };
  return guard;
}

export function checkOnlyReplayGuard(cache: ReplayCache, options: { readonly sameRequest?: RequestReplayGuard } = {}): ReplayGuard {
  const guard: ReplayGuard = {
    async claim(key) {
      if (options.sameRequest?.holds(key)) return "first-use";
      return (await cache.seen(key)) ? "replayed" : "first-use";
    },
    checkOnly: () => guard,
  };
  return guard;
}
