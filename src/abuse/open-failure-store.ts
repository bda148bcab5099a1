/**
 * Opens the brute-force failure store beside the replay cache: with
 * `--replay-cache redis://…` the same Redis server (on its own connection),
 * so every worker and instance counts together; with `memory`, this
 * process's memory.
 */
import type { Clock } from "../clock.js";
import type { FailureStore } from "./failure-store.js";
import { FailureTracker } from "./failure-tracker.js";
import { RedisFailureStore } from "./redis-failure-store.js";

export interface OpenFailureStoreOptions {
  /** Namespace of the Redis keys; default `wss-gateway:throttle:`. */
  readonly redisKeyPrefix?: string;
}

export async function openFailureStore(replayCacheUrl: string, clock: Clock, options: OpenFailureStoreOptions = {}): Promise<FailureStore> {
  if (replayCacheUrl.startsWith("redis://") || replayCacheUrl.startsWith("rediss://")) {
    return RedisFailureStore.connect(replayCacheUrl, clock, { keyPrefix: options.redisKeyPrefix });
  }
  return new FailureTracker(clock);
}
