/**
 * The Redis replay cache: a key is reserved once until its expiry, across
 * every user of the same Redis; a release deletes only its own reservation.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { ManualClock, systemClock } from "../../src/clock.js";
import { RedisReplayCache } from "../../src/replay/redis.js";
import { serverUrl } from "../helpers/servers.js";

const redis = serverUrl("WSS_TEST_REDIS_URL");

function inSeconds(seconds: number, clock = systemClock): Date {
  return new Date(clock.now().getTime() + seconds * 1000);
}

describe("Redis replay cache", { skip: "skip" in redis ? redis.skip : undefined }, () => {
  const url = "url" in redis ? redis.url : "";

  test("a nonce accepted by one instance is refused by another (shared across workers and instances)", async () => {
    const first = await RedisReplayCache.connect(url, systemClock);
    const second = await RedisReplayCache.connect(url, systemClock);
    try {
      const key = `nonce:partner:${randomUUID()}`;
      assert.equal((await first.reserve(key, inSeconds(60))).kind, "reserved");
      assert.equal((await second.reserve(key, inSeconds(60))).kind, "replayed");
      assert.equal((await first.reserve(key, inSeconds(60))).kind, "replayed");
      assert.equal(await second.seen(key), true);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("concurrent reservations of one key admit exactly one", async () => {
    const caches = await Promise.all([1, 2, 3, 4].map(() => RedisReplayCache.connect(url, systemClock)));
    try {
      const key = `sig:${randomUUID()}`;
      const results = await Promise.all(caches.flatMap((cache) => [cache.reserve(key, inSeconds(60)), cache.reserve(key, inSeconds(60))]));
      assert.equal(results.filter((r) => r.kind === "reserved").length, 1);
    } finally {
      await Promise.all(caches.map((cache) => cache.close()));
    }
  });

  test("an entry lives until its own expiry: Redis holds it for expiresAt − now of the gateway's clock", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const cache = await RedisReplayCache.connect(url, clock);
    const raw = new Redis(url);
    try {
      const key = `nonce:ttl:${randomUUID()}`;
      assert.equal((await cache.reserve(key, inSeconds(420, clock))).kind, "reserved");
      const pttl = await raw.pttl(`wss-gateway:replay:${createHash("sha256").update(key).digest("base64url")}`);
      assert.ok(pttl > 419_000 && pttl <= 420_000, `PTTL ${pttl}`);
    } finally {
      raw.disconnect();
      await cache.close();
    }
  });

  test("release deletes the key only while it holds our reservation", async () => {
    const first = await RedisReplayCache.connect(url, systemClock);
    const second = await RedisReplayCache.connect(url, systemClock);
    try {
      const key = `sig:release:${randomUUID()}`;
      const reservation = await first.reserve(key, inSeconds(60));
      assert.equal(reservation.kind, "reserved");
      const token = reservation.kind === "reserved" ? reservation.token : "";
      await second.release(key, "not-the-token");
      assert.equal(await first.seen(key), true);
      await first.release(key, token);
      assert.equal(await first.seen(key), false);
      assert.equal((await second.reserve(key, inSeconds(60))).kind, "reserved");
      await first.release(key, token); // late: the key is now someone else's
      assert.equal(await second.seen(key), true);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("the stored key is a hash: the nonce itself is not in Redis, and size counts entries", async () => {
    const cache = await RedisReplayCache.connect(url, systemClock);
    try {
      const nonce = `visible-nonce-${randomUUID()}`;
      await cache.reserve(`nonce:u:${nonce}`, inSeconds(60));
      assert.ok((await cache.size()) >= 1);
      const raw = new Redis(url);
      const keys = await raw.keys("*");
      await raw.quit();
      assert.equal(keys.some((k) => k.includes(nonce)), false);
    } finally {
      await cache.close();
    }
  });

  test("an unreachable Redis fails closed: the cache opens (serve starts, SPEC §1) and every call rejects", async () => {
    const cache = await RedisReplayCache.connect("redis://127.0.0.1:1", systemClock);
    try {
      await assert.rejects(cache.ping());
      await assert.rejects(cache.reserve("sig:unreachable", new Date(Date.now() + 60_000)));
      await assert.rejects(cache.release("sig:unreachable", "token"));
      await assert.rejects(cache.seen("sig:unreachable"));
    } finally {
      await cache.close();
    }
  });
});
