/**
 * The check-only replay guard (the shadow policy's and explain's): it reports
 * a held key as replayed and never records one, on the memory cache and on a
 * real Redis shared with a reserving instance; the same request's own
 * reservation reads as first use.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { ManualClock, systemClock, type Clock } from "../../src/clock.js";
import { checkOnlyReplayGuard, reservingReplayGuard } from "../../src/replay/guard.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import { RedisReplayCache } from "../../src/replay/redis.js";
import type { ReplayCache } from "../../src/replay/types.js";
import { serverUrl } from "../helpers/servers.js";

async function assertCheckOnly(cache: ReplayCache, key: string, clock: Clock): Promise<void> {
  const expiresAt = new Date(clock.now().getTime() + 60_000);
  const view = checkOnlyReplayGuard(cache);
  assert.equal(await view.claim(key, expiresAt), "first-use");
  assert.equal(await view.claim(key, expiresAt), "first-use", "the view recorded nothing");
  assert.equal(await cache.seen(key), false);
  const enforced = reservingReplayGuard(cache);
  assert.equal(await enforced.claim(key, expiresAt), "first-use", "the message is still fresh for the enforced decision");
  assert.equal(await enforced.checkOnly().claim(key, expiresAt), "first-use", "the request's own reservation is not a replay");
  assert.equal(await view.claim(key, expiresAt), "replayed");
  assert.equal(await cache.seen(key), true);
}

describe("check-only replay guard", () => {
  test("memory: reads without recording; expired keys read as fresh", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    await assertCheckOnly(cache, "sig:a", clock);
    clock.advanceSeconds(61);
    assert.equal(await checkOnlyReplayGuard(cache).claim("sig:a", new Date(clock.now().getTime() + 60_000)), "first-use");
    assert.equal(await cache.size(), 0);
  });

  const redis = serverUrl("WSS_TEST_REDIS_URL");
  test("Redis: reads without recording, across instances", { skip: "skip" in redis ? redis.skip : undefined }, async () => {
    const recording = await RedisReplayCache.connect("url" in redis ? redis.url : "", systemClock);
    try {
      await assertCheckOnly(recording, `sig:${randomUUID()}`, systemClock);
    } finally {
      await recording.close();
    }
  });
});
