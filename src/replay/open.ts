/** Opens the replay cache named by `--replay-cache`: `memory` (one worker) or `redis://…` (shared). */
import type { Clock } from "../clock.js";
import { MemoryReplayCache } from "./memory.js";
import { RedisReplayCache } from "./redis.js";
import type { ReplayCache } from "./types.js";

export async function openReplayCache(url: string, clock: Clock): Promise<ReplayCache> {
  if (url === "memory") return new MemoryReplayCache(clock);
  if (url.startsWith("redis://") || url.startsWith("rediss://")) {
    return RedisReplayCache.connect(url, clock);
  }
  throw new Error(`unknown replay cache ${url}: expected memory or redis://…`);
}
