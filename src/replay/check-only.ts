/**
 * A check-only view of a replay cache, for decisions that must not use up a
 * nonce or a signature (the report-only shadow policy, src/wss/shadow.ts):
 * a key already recorded reads as "replayed", a new one as "first-use", and
 * nothing is ever recorded. Closing the view leaves the cache open.
 */
import type { ReplayCache } from "./types.js";

export function checkOnlyReplayCache(cache: ReplayCache): ReplayCache {
  return {
    remember: async (key) => ((await cache.seen(key)) ? "replayed" : "first-use"),
    seen: (key) => cache.seen(key),
    size: () => cache.size(),
    ping: () => cache.ping(),
    close: async () => {},
  };
}
