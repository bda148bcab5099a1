/**
 * Brute-force failure counts in a Redis shared by every worker and instance,
 * so that N of them allow no more attempts than one. The rules are the
 * memory store's (failure-store.ts); per key (a client address or a user
 * name) Redis holds:
 *
 * - `…{hash}:failures`: a sorted set of failure times (epoch ms), trimmed to
 *   the window and to the block limit, expiring when the window has passed;
 * - `…{hash}:block`: the epoch ms the block ends, expiring with the cool-down.
 *
 * One Lua script records a failure (trim, add, count, block) atomically, so
 * concurrent failures on several workers cannot slip past the limit. Times
 * come from the gateway's Clock, not Redis TIME, so they agree with the rest
 * of the gateway (and with tests' manual clocks); the key expiries only
 * reclaim memory. Keys are a SHA-256 of the address or user name under a
 * prefix: user names are never stored as they came. The `{hash}` tag keeps a
 * key's two entries in one Redis Cluster slot.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { connectRedis } from "../redis/connect.js";
import type { Clock } from "../clock.js";
import { clientKey } from "./client-key.js";
import {
  USER_BLOCK_FACTOR,
  addressVerdict,
  userVerdict,
  type AddressVerdict,
  type BlockedCounts,
  type CredentialFailure,
  type FailureStore,
  type ThrottleSettings,
  type UserVerdict,
} from "./failure-store.js";

export const DEFAULT_THROTTLE_KEY_PREFIX = "wss-gateway:throttle:";

export interface RedisFailureStoreOptions {
  /** Namespace of this deployment's keys; default `wss-gateway:throttle:`. */
  readonly keyPrefix?: string;
  /** How long one Redis command may take before the store reports it failed; default 1000 ms. */
  readonly commandTimeoutMs?: number;
}

type Kind = "address" | "user";

/** KEYS: failures, block. ARGV: nowMs, windowMs, blockAt, cooldownMs, member. Returns the failures in the window. */
const RECORD_FAILURE_LUA = `
local nowMs = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local blockAt = tonumber(ARGV[3])
local cooldownMs = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs - windowMs)
redis.call('ZADD', KEYS[1], nowMs, ARGV[5])
local count = redis.call('ZCARD', KEYS[1])
if count > blockAt then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, count - blockAt - 1)
  count = blockAt
end
redis.call('PEXPIRE', KEYS[1], windowMs)
if count >= blockAt then
  redis.call('SET', KEYS[2], nowMs + cooldownMs, 'PX', cooldownMs)
end
return count
`;

/** KEYS: failures, block. ARGV: windowStartMs. Returns [block end (0 = none), failures after windowStartMs]. */
const READ_USER_LUA = `
local blockedUntil = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local count = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
return {blockedUntil, count}
`;

interface ThrottleCommands {
  recordThrottleFailure(failuresKey: string, blockKey: string, nowMs: number, windowMs: number, blockAt: number, cooldownMs: number, member: string): Promise<number>;
  readThrottleUser(failuresKey: string, blockKey: string, windowStartMs: number): Promise<[number, number]>;
}

const BLOCKED_SCAN_ROUNDS = 100;
const BLOCKED_SCAN_COUNT = 1000;

export class RedisFailureStore implements FailureStore {
  private constructor(
    private readonly redis: Redis & ThrottleCommands,
    private readonly clock: Clock,
    private readonly keyPrefix: string,
  ) {}

  static async connect(url: string, clock: Clock, options: RedisFailureStoreOptions = {}): Promise<RedisFailureStore> {
    const redis = await connectRedis(url, { commandTimeoutMs: options.commandTimeoutMs ?? 1000 });
    redis.defineCommand("recordThrottleFailure", { numberOfKeys: 2, lua: RECORD_FAILURE_LUA });
    redis.defineCommand("readThrottleUser", { numberOfKeys: 2, lua: READ_USER_LUA });
    return new RedisFailureStore(redis as Redis & ThrottleCommands, clock, options.keyPrefix ?? DEFAULT_THROTTLE_KEY_PREFIX);
  }

  async checkAddress(clientAddress: string): Promise<AddressVerdict> {
    const blockedUntil = Number((await this.redis.get(this.keys("address", clientKey(clientAddress)).block)) ?? 0);
    return addressVerdict(blockedUntil - this.nowMs());
  }

  async checkUser(userName: string, settings: ThrottleSettings): Promise<UserVerdict> {
    const nowMs = this.nowMs();
    const keys = this.keys("user", userName);
    const [blockedUntil, failures] = await this.redis.readThrottleUser(keys.failures, keys.block, nowMs - settings.windowSeconds * 1000);
    return userVerdict(Number(blockedUntil) - nowMs, Number(failures), settings);
  }

  async recordFailure(failure: CredentialFailure, settings: ThrottleSettings): Promise<void> {
    const nowMs = this.nowMs();
    const record = (kind: Kind, key: string, blockAt: number) => {
      const keys = this.keys(kind, key);
      const member = `${nowMs}:${randomBytes(8).toString("base64url")}`; // failures in the same millisecond each count
      return this.redis.recordThrottleFailure(keys.failures, keys.block, nowMs, settings.windowSeconds * 1000, blockAt, settings.cooldownSeconds * 1000, member);
    };
    const recorded = [record("address", clientKey(failure.clientAddress), settings.maxFailures)];
    if (failure.userName !== undefined) recorded.push(record("user", failure.userName, settings.maxFailures * USER_BLOCK_FACTOR));
    await Promise.all(recorded);
  }

  /**
   * Counts the block keys whose block has not ended, with a bounded SCAN: the
   * whole deployment's, not this gateway's, and approximate beyond
   * 100 rounds of 1,000 keys.
   */
  async blockedCounts(): Promise<BlockedCounts> {
    const [addresses, users] = await Promise.all([this.countBlocked("address"), this.countBlocked("user")]);
    return { addresses, users };
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async countBlocked(kind: Kind): Promise<number> {
    const nowMs = this.nowMs();
    let cursor = "0";
    let count = 0;
    for (let round = 0; round < BLOCKED_SCAN_ROUNDS; round++) {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.keyPrefix}${kind}:*:block`, "COUNT", BLOCKED_SCAN_COUNT);
      if (keys.length > 0) count += (await this.redis.mget(keys)).filter((until) => Number(until ?? 0) > nowMs).length;
      cursor = next;
      if (cursor === "0") break;
    }
    return count;
  }

  private keys(kind: Kind, key: string): { readonly failures: string; readonly block: string } {
    const base = `${this.keyPrefix}${kind}:{${createHash("sha256").update(key).digest("base64url")}}`;
    return { failures: `${base}:failures`, block: `${base}:block` };
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
