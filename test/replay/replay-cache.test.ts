/** The replay caches: a key is "first-use" once within its TTL, across every user of the same cache. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { RedisReplayCache } from "../../src/replay/redis.js";
import { serverUrl } from "../helpers/servers.js";

const redis = serverUrl("WSS_TEST_REDIS_URL");

describe("Redis replay cache", { skip: "skip" in redis ? redis.skip : undefined }, () => {
  const url = "url" in redis ? redis.url : "";

  test("a nonce accepted by one instance is refused by another (shared across workers and instances)", async () => {
    const first = await RedisReplayCache.connect(url);
    const second = await RedisReplayCache.connect(url);
    try {
      const key = `nonce:partner:${randomUUID()}`;
      assert.equal(await first.remember(key, 60), "first-use");
      assert.equal(await second.remember(key, 60), "replayed");
      assert.equal(await first.remember(key, 60), "replayed");
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("concurrent check-and-set of one key admits exactly one", async () => {
    const caches = await Promise.all([1, 2, 3, 4].map(() => RedisReplayCache.connect(url)));
    try {
      const key = `sig:${randomUUID()}`;
      const results = await Promise.all(caches.flatMap((cache) => [cache.remember(key, 60), cache.remember(key, 60)]));
      assert.equal(results.filter((r) => r === "first-use").length, 1);
    } finally {
      await Promise.all(caches.map((cache) => cache.close()));
    }
  });

  test("an entry expires after its TTL", async () => {
    const cache = await RedisReplayCache.connect(url);
    try {
      const key = `nonce:ttl:${randomUUID()}`;
      assert.equal(await cache.remember(key, 1), "first-use");
      await new Promise((resolve) => setTimeout(resolve, 2100));
      assert.equal(await cache.remember(key, 1), "first-use");
    } finally {
      await cache.close();
    }
  });

  test("the stored key is a hash: the nonce itself is not in Redis, and size counts entries", async () => {
    const cache = await RedisReplayCache.connect(url);
    try {
      const nonce = `visible-nonce-${randomUUID()}`;
      await cache.remember(`nonce:u:${nonce}`, 60);
      assert.ok((await cache.size()) >= 1);
      const { Redis } = await import("ioredis");
      const raw = new Redis(url);
      const keys = await raw.keys("*");
      await raw.quit();
      assert.equal(keys.some((k) => k.includes(nonce)), false);
    } finally {
      await cache.close();
    }
  });

  test("an unreachable Redis fails closed: the cache opens (serve starts, SPEC §1) and every call rejects", async () => {
    const cache = await RedisReplayCache.connect("redis://127.0.0.1:1");
    try {
      await assert.rejects(cache.ping());
      await assert.rejects(cache.remember("sig:unreachable", 60));
    } finally {
      await cache.close();
    }
  });
});
