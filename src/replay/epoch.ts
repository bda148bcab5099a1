/**
 * When the replay cache's memory began (SPEC §7): a cache that forgot —
 * a gateway restart with `memory`, a Redis restarted without persistence,
 * a FLUSHALL, an evicted marker — must not accept again a message it may
 * already have accepted. So the cache records its epoch, and a message whose
 * Created is before it is refused as expired (src/wss/rules/replay-epoch.ts).
 *
 * - memory: the moment the cache was created (process start).
 * - Redis: the marker key `wss-gateway:replay:epoch` holds the time the first
 *   gateway found it missing (at its start, a /readyz probe or a request);
 *   read on every check, and set (atomically, only if still missing) by
 *   whoever finds it gone, so after a flush every instance moves to the same
 *   new epoch. A message created before that moment is refused as expired:
 *   the client sends a fresh one. A Redis that keeps its data
 *   (persistence) keeps the marker, and the epoch stays.
 */
import type { Redis } from "ioredis";
import type { Clock } from "../clock.js";
import { connectRedis } from "../redis/connect.js";

export const EPOCH_KEY = "wss-gateway:replay:epoch";

/** GET the marker, or set it to ARGV[1] if it is missing; returns the marker (ms since 1970). */
const EPOCH_SCRIPT = `local v = redis.call("GET", KEYS[1]) if v then return v end redis.call("SET", KEYS[1], ARGV[1]) return ARGV[1]`;

export interface ReplayEpoch {
  /** When the cache's memory began; rejects when the cache cannot answer (the caller answers 503). */
  current(): Promise<Date>;
  close(): Promise<void>;
}

export async function openReplayEpoch(url: string, clock: Clock): Promise<ReplayEpoch> {
  if (url === "memory") {
    const started = clock.now();
    return { current: async () => started, close: async () => {} };
  }
  return RedisReplayEpoch.connect(url, clock);
}

class RedisReplayEpoch implements ReplayEpoch {
  private constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
  ) {}

  static async connect(url: string, clock: Clock): Promise<RedisReplayEpoch> {
    const epoch = new RedisReplayEpoch(await connectRedis(url, { commandTimeoutMs: 2000 }), clock);
    // The marker is set at start when it is missing, so a fresh Redis does not refuse the first requests as created before it.
    await epoch.current().catch(() => undefined);
    return epoch;
  }

  async current(): Promise<Date> {
    const marker = await this.redis.eval(EPOCH_SCRIPT, 1, EPOCH_KEY, String(this.clock.now().getTime()));
    const ms = Number(marker);
    if (!Number.isFinite(ms)) throw new Error(`${EPOCH_KEY} holds no time`);
    return new Date(ms);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
