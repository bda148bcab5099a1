/**
 * The check-only view of a replay cache (the shadow policy's): it reports a
 * recorded key as replayed and never records one, on the memory cache and on
 * a real Redis shared with a recording instance.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { checkOnlyReplayCache } from "../../src/replay/check-only.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import { RedisReplayCache } from "../../src/replay/redis.js";
import type { ReplayCache } from "../../src/replay/types.js";
import { serverUrl } from "../helpers/servers.js";

async function assertCheckOnly(recording: ReplayCache, key: string): Promise<void> {
  const view = checkOnlyReplayCache(recording);
  assert.equal(await view.remember(key, 60), "first-use");
  assert.equal(await view.remember(key, 60), "first-use", "the view recorded nothing");
  assert.equal(await recording.seen(key), false);
  assert.equal(await recording.remember(key, 60), "first-use", "the message is still fresh for the enforced decision");
  assert.equal(await view.remember(key, 60), "replayed");
  assert.equal(await view.seen(key), true);
}

describe("check-only replay view", () => {
  test("memory: reads without recording; expired keys read as fresh", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    await assertCheckOnly(cache, "sig:a");
    clock.advanceSeconds(61);
    assert.equal(await checkOnlyReplayCache(cache).remember("sig:a", 60), "first-use");
    assert.equal(await cache.size(), 0);
  });

  const redis = serverUrl("WSS_TEST_REDIS_URL");
  test("Redis: reads without recording, across instances", { skip: "skip" in redis ? redis.skip : undefined }, async () => {
    const recording = await RedisReplayCache.connect("url" in redis ? redis.url : "");
    try {
      await assertCheckOnly(recording, `sig:${randomUUID()}`);
    } finally {
      await recording.close();
    }
  });
});
