/**
 * MemoryReplayCache: atomic reservations, expiry at each entry's own expiry
 * by the injected clock, release of one's own reservation only, and a bound
 * on memory that never forgets a live entry (a full cache refuses new keys
 * instead).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { MemoryReplayCache, ReplayCacheFullError } from "../../src/replay/memory.js";

function inSeconds(clock: ManualClock, seconds: number): Date {
  return new Date(clock.now().getTime() + seconds * 1000);
}

describe("MemoryReplayCache", () => {
  test("a key is reserved once, then replayed until its expiry, then free again", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    const expiresAt = inSeconds(clock, 10);
    assert.equal((await cache.reserve("sig:a", expiresAt)).kind, "reserved");
    assert.equal((await cache.reserve("sig:a", expiresAt)).kind, "replayed");
    assert.equal(await cache.seen("sig:a"), true);
    clock.advanceSeconds(9.999);
    assert.equal((await cache.reserve("sig:a", expiresAt)).kind, "replayed");
    clock.advanceSeconds(0.001);
    assert.equal(await cache.seen("sig:a"), false);
    assert.equal((await cache.reserve("sig:a", inSeconds(clock, 10))).kind, "reserved");
  });

  test("concurrent reservations of one key: exactly one reserved", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.reserve("nonce:x", inSeconds(clock, 60))));
    assert.equal(answers.filter((answer) => answer.kind === "reserved").length, 1);
  });

  test("release frees the key only for the reservation's own token", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    const first = await cache.reserve("sig:r", inSeconds(clock, 60));
    assert.equal(first.kind, "reserved");
    await cache.release("sig:r", "someone-else");
    assert.equal(await cache.seen("sig:r"), true);
    await cache.release("sig:r", first.kind === "reserved" ? first.token : "");
    assert.equal(await cache.seen("sig:r"), false);
    const second = await cache.reserve("sig:r", inSeconds(clock, 60));
    assert.equal(second.kind, "reserved");
    // A late release of the first reservation leaves the second one alone.
    await cache.release("sig:r", first.kind === "reserved" ? first.token : "");
    assert.equal(await cache.seen("sig:r"), true);
  });

  test("size counts live entries only", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    await cache.reserve("a", inSeconds(clock, 10));
    await cache.reserve("b", inSeconds(clock, 20));
    assert.equal(await cache.size(), 2);
    clock.advanceSeconds(15);
    assert.equal(await cache.size(), 1);
  });

  test("full of live entries → new keys are refused (ReplayCacheFullError), live keys still answer replayed", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock, { maxEntries: 2 });
    await cache.reserve("a", inSeconds(clock, 60));
    await cache.reserve("b", inSeconds(clock, 60));
    await assert.rejects(cache.reserve("c", inSeconds(clock, 60)), ReplayCacheFullError);
    assert.equal((await cache.reserve("a", inSeconds(clock, 60))).kind, "replayed");
    assert.equal((await cache.reserve("b", inSeconds(clock, 60))).kind, "replayed");
  });

  test("full, but some entries expired → they make room", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock, { maxEntries: 2 });
    await cache.reserve("short", inSeconds(clock, 5));
    await cache.reserve("long", inSeconds(clock, 600));
    clock.advanceSeconds(6);
    assert.equal((await cache.reserve("new", inSeconds(clock, 60))).kind, "reserved");
    assert.equal((await cache.reserve("long", inSeconds(clock, 60))).kind, "replayed");
  });
});
