/**
 * The shared replay cache: one Redis for every worker and instance. A
 * reservation is `SET key token PX ms NX` — atomic check-and-set with expiry
 * done by Redis itself; the lifetime is the entry's expiry minus "now" of the
 * injected clock at reservation time. A release runs a Lua script that
 * deletes the key only while it still holds our token, so it never removes
 * an entry that some later reservation made. Keys are a SHA-256 of the
 * replay key under a fixed prefix, so nonces and signature values are never
 * stored as they came. An unreachable Redis is an error, never a silent
 * "first use": it fails closed.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Clock } from "../clock.js";
import { connectRedis } from "../redis/connect.js";
import type { ReplayCache, ReplayReservation } from "./types.js";

const KEY_PREFIX = "wss-gateway:replay:";
const SIZE_SCAN_LIMIT = 100;
const RELEASE_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

export class RedisReplayCache implements ReplayCache {
  private constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
  ) {}

  static async connect(url: string, clock: Clock): Promise<RedisReplayCache> {
    return new RedisReplayCache(await connectRedis(url, { commandTimeoutMs: 2000 }), clock);
  }

  async reserve(key: string, expiresAt: Date): Promise<ReplayReservation> {
    const milliseconds = Math.max(1, Math.ceil(expiresAt.getTime() - this.clock.now().getTime()));
    const token = randomUUID();
    const result = await this.redis.set(redisKey(key), token, "PX", milliseconds, "NX");
    return result === "OK" ? { kind: "reserved", token } : { kind: "replayed" };
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, redisKey(key), token);
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
