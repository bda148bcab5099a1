/**
 * The shared replay cache: one Redis for every worker and instance. Each
 * entry is `SET key 1 NX EX ttl` — atomic check-and-set with expiry done by
 * Redis itself. Keys are a SHA-256 of the replay key under a fixed prefix,
 * so nonces and signature values are never stored as they came. An
 * unreachable Redis is an error, never a silent "first use": it fails closed.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { connectRedis } from "../redis/connect.js";
import type { ReplayCache } from "./types.js";

const KEY_PREFIX = "wss-gateway:replay:";
const SIZE_SCAN_LIMIT = 100;

export class RedisReplayCache implements ReplayCache {
  private constructor(private readonly redis: Redis) {}

  static async connect(url: string): Promise<RedisReplayCache> {
    return new RedisReplayCache(await connectRedis(url, { commandTimeoutMs: 2000 }));
  }

  async remember(key: string, ttlSeconds: number): Promise<"first-use" | "replayed"> {
    const seconds = Math.max(1, Math.ceil(ttlSeconds));
    const result = await this.redis.set(redisKey(key), "1", "EX", seconds, "NX");
    return result === "OK" ? "first-use" : "replayed";
  }

  async seen(key: string): Promise<boolean> {
    return (await this.redis.exists(redisKey(key))) === 1;
  }

  /** Counts this gateway's entries with a bounded SCAN (approximate for very large caches). */
  async size(): Promise<number> {
    let cursor = "0";
    let count = 0;
    for (let round = 0; round < SIZE_SCAN_LIMIT; round++) {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${KEY_PREFIX}*`, "COUNT", 1000);
      count += keys.length;
      cursor = next;
      if (cursor === "0") break;
    }
    return count;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function redisKey(key: string): string {
  return KEY_PREFIX + createHash("sha256").update(key).digest("base64url");
}
