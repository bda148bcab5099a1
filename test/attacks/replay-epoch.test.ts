/**
 * Replay after the replay cache forgot (SPEC §7): the cache records when its
 * memory began — the gateway's start for `memory`, a marker key in Redis —
 * and a message created before that epoch is refused `WS-Security message
 * expired`, because it may have been accepted before. A Redis restarted
 * without persistence, or flushed, starts a new epoch; a message created
 * after it is accepted as usual. Real signatures, a redis-server of the
 * test's own, a manual clock.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { after, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { EPOCH_KEY } from "../../src/replay/epoch.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { startOwnRedis, type OwnRedis } from "../helpers/own-servers.js";
import { value } from "../helpers/prometheus.js";

const PARTNER = basicAuth("partner.soap", "partner-demo-password");
const KEY = readFileSync("certs/demo-partner.key", "utf8");
const CERT = readFileSync("certs/demo-partner.pem", "utf8");

function signedAt(clock: ManualClock, number: string): string {
  return signEnvelope(soapEnvelope("incident", "insert", `<number>${number}</number><short_description>epoch</short_description>`), {
    key: KEY,
    cert: CERT,
    timestampSeconds: 300,
    clock,
  });
}

async function send(gateway: TestGateway, envelope: string): Promise<{ status: number; fault: string | undefined }> {
  const response = await postSoap(gateway, "incident", envelope, { authorization: PARTNER });
  return { status: response.status, fault: textOf(response.body, "faultstring") };
}

const gateways: TestGateway[] = [];
const redises: OwnRedis[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await Promise.all(redises.map((redis) => redis.stop()));
});

describe("memory replay cache: its epoch is the gateway's start", () => {
  test("an envelope signed (and possibly accepted) before a restart → WS-Security message expired; one signed after → accepted", async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const beforeStart = signedAt(clock, "EPOCH-MEM-OLD");
    clock.advanceSeconds(5);
    const gateway = await startTestGateway({ configDir: resolve("policies"), clock });
    gateways.push(gateway);
    clock.advanceSeconds(1);
    assert.deepEqual(await send(gateway, beforeStart), { status: 500, fault: "WS-Security message expired" });
    assert.deepEqual(await send(gateway, signedAt(clock, "EPOCH-MEM-NEW")), { status: 200, fault: undefined });
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["EPOCH-MEM-NEW"]);
  });
});

describe("Redis replay cache: the epoch marker key", () => {
  test("Redis restarted without persistence: an envelope accepted before → WS-Security message expired (not accepted again); a fresh one → accepted", async () => {
    const redis = await startOwnRedis();
    redises.push(redis);
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const gateway = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
    gateways.push(gateway);
    const accepted = signedAt(clock, "EPOCH-REDIS-1");
    assert.deepEqual(await send(gateway, accepted), { status: 200, fault: undefined });
    assert.deepEqual(await send(gateway, accepted), { status: 500, fault: "WS-Security message replayed" });
    const firstEpoch = Number(redis.cli("GET", EPOCH_KEY));
    assert.equal(firstEpoch, clock.now().getTime(), "the first check set the marker to the gateway's now");

    await redis.stop(); // a crash: everything in memory is gone
    await redis.start();
    clock.advanceSeconds(2);
    const replay = await retryWhileUnavailable(() => send(gateway, accepted));
    assert.deepEqual(replay, { status: 500, fault: "WS-Security message expired" }, "forgotten, so refused as expired");
    assert.equal(Number(redis.cli("GET", EPOCH_KEY)), clock.now().getTime(), "a new epoch began at the first check after the restart");
    assert.deepEqual(await send(gateway, signedAt(clock, "EPOCH-REDIS-2")), { status: 200, fault: undefined });
    assert.deepEqual(gateway.rows("incident").map((row) => row.number).sort(), ["EPOCH-REDIS-1", "EPOCH-REDIS-2"]);
  });

  test("FLUSHALL: an envelope accepted before → expired; a fresh one → accepted; a second gateway on the same Redis sees the same epoch", async () => {
    const redis = await startOwnRedis();
    redises.push(redis);
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const first = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
    const second = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
    gateways.push(first, second);
    const accepted = signedAt(clock, "EPOCH-FLUSH-1");
    assert.deepEqual(await send(first, accepted), { status: 200, fault: undefined });

    assert.equal(redis.cli("FLUSHALL"), "OK");
    clock.advanceSeconds(1);
    assert.deepEqual(await send(second, accepted), { status: 500, fault: "WS-Security message expired" });
    assert.deepEqual(await send(first, accepted), { status: 500, fault: "WS-Security message expired" });
    const fresh = signedAt(clock, "EPOCH-FLUSH-2");
    assert.deepEqual(await send(first, fresh), { status: 200, fault: undefined });
    assert.deepEqual(await send(second, fresh), { status: 500, fault: "WS-Security message replayed" });
  });

  test("a Redis that kept its data keeps the marker: the epoch does not move, and a replay is still a replay", async () => {
    const redis = await startOwnRedis();
    redises.push(redis);
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const gateway = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
    gateways.push(gateway);
    const accepted = signedAt(clock, "EPOCH-KEPT-1");
    assert.deepEqual(await send(gateway, accepted), { status: 200, fault: undefined });
    const epoch = redis.cli("GET", EPOCH_KEY);
    clock.advanceSeconds(30);
    // The gateway restarts (a new process would open the same Redis): the marker and the entries are still there.
    const restarted = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
    gateways.push(restarted);
    assert.deepEqual(await send(restarted, accepted), { status: 500, fault: "WS-Security message replayed" });
    assert.equal(redis.cli("GET", EPOCH_KEY), epoch);
  });
});

describe("Redis replay cache: an epoch marker set by an instance whose clock runs ahead", () => {
  test("is distrusted: this instance's now is the epoch (logged at error, counted): fresh messages are accepted, a message accepted before Redis forgot is still refused as expired, the marker is not overwritten", async () => {
    const redis = await startOwnRedis();
    redises.push(redis);
    const start = Math.floor(Date.now() / 1000) * 1000;
    const clock = new ManualClock(start); // this instance: right
    const aheadClock = new ManualClock(start + 600_000); // another instance: 10 minutes ahead (clock_skew_seconds is 60)
    const gateway = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
    gateways.push(gateway);
    const accepted = signedAt(clock, "EPOCH-AHEAD-1");
    assert.deepEqual(await send(gateway, accepted), { status: 200, fault: undefined });

    await redis.stop(); // Redis forgets (no persistence) ...
    await redis.start();
    clock.advanceSeconds(2);
    aheadClock.advanceSeconds(2);
    // ... and the instance whose clock runs ahead is the first to find the marker missing: it sets its own now.
    const ahead = await startTestGateway({ configDir: resolve("policies"), clock: aheadClock, replayCache: redis.url });
    gateways.push(ahead);
    const marker = redis.cli("GET", EPOCH_KEY);
    assert.equal(Number(marker), aheadClock.now().getTime());

    const replay = await retryWhileUnavailable(() => send(gateway, accepted));
    assert.deepEqual(replay, { status: 500, fault: "WS-Security message expired" }, "forgotten by Redis: still not accepted again");
    const clampedTo = clock.now().toISOString();
    assert.deepEqual(await send(gateway, signedAt(clock, "EPOCH-AHEAD-2")), { status: 200, fault: undefined }, "a fresh message is not refused as created before a marker 10 minutes ahead");

    // Near the marker (within the skew) the epoch stays where it was clamped: it does not jump forward to the marker.
    clock.advanceSeconds(570);
    const nearMarker = signedAt(clock, "EPOCH-AHEAD-3");
    assert.ok(clock.now().getTime() < Number(marker));
    assert.deepEqual(await send(gateway, nearMarker), { status: 200, fault: undefined });
    assert.deepEqual(await send(gateway, nearMarker), { status: 500, fault: "WS-Security message replayed" });
    assert.equal(redis.cli("GET", EPOCH_KEY), marker, "the marker is not overwritten (a clock behind would move everyone's epoch back)");

    const errors = gateway.logLines().filter((line) => line.level === 50 && String(line.msg).startsWith("replay cache epoch marker is ahead"));
    assert.equal(errors.length, 1, "logged once per marker value");
    assert.equal(errors[0]!.marker, new Date(Number(marker)).toISOString());
    assert.equal(errors[0]!.epoch, clampedTo, "the epoch is this instance's now when it first read the marker");
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.equal(value(metrics, "wss_gateway_replay_epoch_marker_distrusted_total", { marker: "ahead" }), 1, "counted once per marker value");
    assert.equal(value(await (await fetch(`${ahead.url}/metrics`)).text(), "wss_gateway_replay_epoch_marker_distrusted_total", { marker: "ahead" }), 0);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number).sort(), ["EPOCH-AHEAD-1", "EPOCH-AHEAD-2", "EPOCH-AHEAD-3"]);
  });
});

describe("Redis replay cache: an epoch marker set after a flush by an instance whose clock runs behind", () => {
  test("is distrusted: a message accepted before the flush is not accepted again (it would pass a marker 10 minutes early); fresh ones are accepted; logged at error, counted", async () => {
    const redis = await startOwnRedis();
    redises.push(redis);
    const start = Math.floor(Date.now() / 1000) * 1000;
    const clock = new ManualClock(start); // this instance: right
    const behindClock = new ManualClock(start - 600_000); // another instance: 10 minutes behind (clock_skew_seconds is 60)
    const gateway = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
    gateways.push(gateway);
    const accepted = signedAt(clock, "EPOCH-BEHIND-1");
    assert.deepEqual(await send(gateway, accepted), { status: 200, fault: undefined });

    clock.advanceSeconds(5);
    behindClock.advanceSeconds(5);
    assert.equal(redis.cli("FLUSHALL"), "OK"); // the cache forgets ...
    // ... and the instance whose clock runs behind is the first to find the marker missing.
    const behind = await startTestGateway({ configDir: resolve("policies"), clock: behindClock, replayCache: redis.url });
    gateways.push(behind);
    const marker = Number(redis.cli("GET", EPOCH_KEY));
    assert.equal(marker, behindClock.now().getTime());
    assert.ok(marker < start, "the marker is before the message's Created: trusted, it would let the message in again");

    assert.deepEqual(await send(gateway, accepted), { status: 500, fault: "WS-Security message expired" }, "forgotten by the flush: not accepted again");
    assert.deepEqual(await send(gateway, signedAt(clock, "EPOCH-BEHIND-2")), { status: 200, fault: undefined });
    assert.equal(Number(redis.cli("GET", EPOCH_KEY)), marker, "the marker is not overwritten");

    const errors = gateway.logLines().filter((line) => line.level === 50 && String(line.msg).startsWith("replay cache epoch marker changed to a time before"));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.marker, new Date(marker).toISOString());
    assert.equal(errors[0]!.epoch, clock.now().toISOString());
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.equal(value(metrics, "wss_gateway_replay_epoch_marker_distrusted_total", { marker: "behind" }), 1);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number).sort(), ["EPOCH-BEHIND-1", "EPOCH-BEHIND-2"]);
  });
});

/** The gateway's Redis client reconnects in the background after a restart: until then requests get 503. */
async function retryWhileUnavailable(attempt: () => Promise<{ status: number; fault: string | undefined }>): Promise<{ status: number; fault: string | undefined }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await attempt();
    if (result.status !== 503 || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
