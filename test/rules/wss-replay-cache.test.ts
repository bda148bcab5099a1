/**
 * MemoryReplayCache: atomic first-use/replayed answers, expiry by the
 * injected clock, and a bound on memory that never forgets a live entry
 * (a full cache refuses new keys instead).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { MemoryReplayCache, ReplayCacheFullError } from "../../src/replay/memory.js";

describe("MemoryReplayCache", () => {
  test("a key is first-use once, then replayed until its TTL ends, then first-use again", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    assert.equal(await cache.remember("sig:a", 10), "first-use");
    assert.equal(await cache.remember("sig:a", 10), "replayed");
    clock.advanceSeconds(9.999);
    assert.equal(await cache.remember("sig:a", 10), "replayed");
    clock.advanceSeconds(0.001);
    assert.equal(await cache.remember("sig:a", 10), "first-use");
  });

  test("concurrent remembers of one key: exactly one first-use", async () => {
    const cache = new MemoryReplayCache(new ManualClock());
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.remember("nonce:x", 60)));
    assert.equal(answers.filter((answer) => answer === "first-use").length, 1);
  });

  test("size counts live entries only", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    await cache.remember("a", 10);
    await cache.remember("b", 20);
    assert.equal(await cache.size(), 2);
    clock.advanceSeconds(15);
    assert.equal(await cache.size(), 1);
  });

  test("full of live entries → new keys are refused (ReplayCacheFullError), live keys still answer replayed", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock, { maxEntries: 2 });
    await cache.remember("a", 60);
    await cache.remember("b", 60);
    await assert.rejects(cache.remember("c", 60), ReplayCacheFullError);
    assert.equal(await cache.remember("a", 60), "replayed");
    assert.equal(await cache.remember("b", 60), "replayed");
  });

  test("full, but some entries expired → they make room", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock, { maxEntries: 2 });
    await cache.remember("short", 5);
    await cache.remember("long", 600);
    clock.advanceSeconds(6);
    assert.equal(await cache.remember("new", 60), "first-use");
    assert.equal(await cache.remember("long", 60), "replayed");
  });
});
