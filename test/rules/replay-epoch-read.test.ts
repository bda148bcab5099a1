/**
 * The replay cache's epoch (SPEC §7) is read only when a request carries a
 * Created to check against it — a wsu:Timestamp or a UsernameToken in our
 * Security header — so a request without either costs no Redis round trip
 * (with `--replay-cache redis://` one EVAL per SOAP request before). It is
 * never skipped where it applies: a Created still has to be after the epoch,
 * and an epoch that cannot be read is `Service temporarily unavailable`
 * (503 + Retry-After), never an acceptance. Real HTTP on 127.0.0.1, a
 * redis-server of the test's own, real signatures, a manual clock.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { after, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { EPOCH_KEY } from "../../src/replay/epoch.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { checkReplayEpoch } from "../../src/wss/rules/replay-epoch.js";
import { decideWsSecurity } from "../../src/wss/engine.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import { reservingReplayGuard } from "../../src/replay/guard.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { startOwnRedis, type OwnRedis } from "../helpers/own-servers.js";
import { gatewayYaml, parseRequest, policyYaml, usernameProfileYaml, wssConfig, WSS_USERS_YAML, x509ProfileYaml } from "../helpers/wss-config.js";
import { outcomeOf } from "../helpers/wss-config.js";

const PARTNER = basicAuth("partner.soap", "partner-demo-password");
const INTEGRATION = basicAuth("integration", "integration-demo-password");
const KEY = readFileSync("certs/demo-partner.key", "utf8");
const CERT = readFileSync("certs/demo-partner.pem", "utf8");

const gateways: TestGateway[] = [];
const redises: OwnRedis[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await Promise.all(redises.map((redis) => redis.stop()));
});

function insert(number: string): string {
  return soapEnvelope("incident", "insert", `<number>${number}</number><short_description>epoch read</short_description>`);
}

async function send(gateway: TestGateway, envelope: string, authorization: string): Promise<{ status: number; fault: string | undefined; retryAfter: string | null }> {
  const response = await postSoap(gateway, "incident", envelope, { authorization });
  return { status: response.status, fault: textOf(response.body, "faultstring"), retryAfter: response.headers.get("retry-after") };
}

/** The demo configuration (policies/) on a Redis replay cache of the test's own; the internal integration user's password as in its users.yaml. */
async function demoGateway(clock: ManualClock): Promise<{ gateway: TestGateway; redis: OwnRedis }> {
  const redis = await startOwnRedis();
  redises.push(redis);
  const gateway = await startTestGateway({ configDir: resolve("policies"), clock, replayCache: redis.url });
  gateways.push(gateway);
  return { gateway, redis };
}

describe("Redis replay cache: the epoch is read only for a request that carries a Created", () => {
  test("no Timestamp or UsernameToken (an internal integration user's unsigned insert; an unsigned request refused 'not Signed') → the epoch marker is not read: deleted, it stays absent", async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const { gateway, redis } = await demoGateway(clock);
    assert.notEqual(redis.cli("EXISTS", EPOCH_KEY), "0", "the gateway set the marker at its start");
    redis.cli("DEL", EPOCH_KEY); // reading the epoch (the EVAL) sets a missing marker: its absence shows no read happened
    assert.equal((await send(gateway, insert("EPOCH-READ-INT"), INTEGRATION)).status, 200);
    assert.deepEqual(await send(gateway, insert("EPOCH-READ-UNSIGNED"), PARTNER), { status: 500, fault: "SOAP request not Signed. Policy requires signing", retryAfter: null });
    assert.equal(redis.cli("EXISTS", EPOCH_KEY), "0", "no request without a Created read the epoch");

    const signed = signEnvelope(insert("EPOCH-READ-SIGNED"), { key: KEY, cert: CERT, timestampSeconds: 300, clock });
    assert.equal((await send(gateway, signed, PARTNER)).status, 200);
    assert.equal(Number(redis.cli("GET", EPOCH_KEY)), clock.now().getTime(), "the signed request's Timestamp read the epoch (and set the missing marker)");
  });

  test("an internal integration user's signed request (a Timestamp, no policy applies) still reads the epoch: created before it → WS-Security message expired", async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const { gateway, redis } = await demoGateway(clock);
    const signed = signEnvelope(insert("EPOCH-READ-INT-SIGNED"), { key: KEY, cert: CERT, timestampSeconds: 300, clock });
    clock.advanceSeconds(2);
    redis.cli("SET", EPOCH_KEY, String(clock.now().getTime())); // the cache forgot after the envelope was created
    assert.deepEqual(await send(gateway, signed, INTEGRATION), { status: 500, fault: "WS-Security message expired", retryAfter: null });
    assert.deepEqual(gateway.rows("incident"), []);
  });
});

describe("Redis replay cache: an epoch that cannot be read fails closed", () => {
  test("the marker holds no time → a signed request with a Timestamp gets 503 Service temporarily unavailable + Retry-After, nothing written; a request with no Created is unaffected", async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const { gateway, redis } = await demoGateway(clock);
    redis.cli("SET", EPOCH_KEY, "not-a-time");
    const signed = signEnvelope(insert("EPOCH-BROKEN-SIGNED"), { key: KEY, cert: CERT, timestampSeconds: 300, clock });
    const answer = await send(gateway, signed, PARTNER);
    assert.deepEqual({ status: answer.status, fault: answer.fault }, { status: 503, fault: "Service temporarily unavailable" });
    assert.ok(answer.retryAfter !== null, "503 carries Retry-After");
    assert.equal((await send(gateway, insert("EPOCH-BROKEN-INT"), INTEGRATION)).status, 200);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["EPOCH-BROKEN-INT"]);
    redis.cli("SET", EPOCH_KEY, String(clock.now().getTime() - 1000));
    assert.equal((await send(gateway, signed, PARTNER)).status, 200, "a 503 did not use up the signature");
  });

  test("an unsigned UsernameToken (policy without require_signed) with the marker holding no time → 503; with the marker after its Created → WS-Security message expired", async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const redis = await startOwnRedis();
    redises.push(redis);
    const gateway = await startTestGateway({
      clock,
      replayCache: redis.url,
      files: {
        gateway: gatewayYaml(),
        profiles: `profiles:\n${usernameProfileYaml("Credentials", { action: "authenticate_with_user" })}`,
        policies: `policies:\n${policyYaml(["Credentials"], { requireSigned: false })}`,
        users: WSS_USERS_YAML,
      },
    });
    gateways.push(gateway);
    const alice = basicAuth("alice", "alice-password");
    const token = () => signEnvelope(insert("EPOCH-UT"), { username: "alice", password: "alice-password", clock });
    redis.cli("SET", EPOCH_KEY, "not-a-time");
    assert.deepEqual((({ status, fault }) => ({ status, fault }))(await send(gateway, token(), alice)), { status: 503, fault: "Service temporarily unavailable" });
    const early = token();
    clock.advanceSeconds(2);
    redis.cli("SET", EPOCH_KEY, String(clock.now().getTime()));
    assert.deepEqual(await send(gateway, early, alice), { status: 500, fault: "WS-Security message expired", retryAfter: null });
    assert.equal((await send(gateway, token(), alice)).status, 200);
  });
});

describe("the engine's lazy epoch", () => {
  const config = wssConfig(
    { gateway: {}, profiles: [x509ProfileYaml("Partner certificate", "partner.pem"), usernameProfileYaml("Credentials", { action: "authenticate_with_user" })], policies: [policyYaml(["Partner certificate", "Credentials"], { requireSigned: false, authenticate: "at_least_one" })] },
    { "partner.pem": CERT },
  );

  test("read once for a UsernameToken, never for a message without a Created; a rejected read rejects the decision (no acceptance)", async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    let reads = 0;
    const input = (xml: string, epoch: () => Promise<Date>) => ({ config, envelope: parseRequest(xml), basicUser: undefined, clock, replay: reservingReplayGuard(new MemoryReplayCache(clock)), replayEpoch: epoch });
    const counting = async () => {
      reads += 1;
      return new Date(clock.now().getTime() - 1000);
    };
    const plain = await decideWsSecurity(input(insert("LAZY-1"), counting));
    assert.equal(outcomeOf(plain), "Failed to authenticate WS-Security");
    assert.equal(reads, 0);
    const withToken = signEnvelope(insert("LAZY-2"), { username: "alice", password: "alice-password", clock });
    assert.equal(outcomeOf(await decideWsSecurity(input(withToken, counting))), "admitted");
    assert.equal(reads, 1);
    await assert.rejects(decideWsSecurity(input(signEnvelope(insert("LAZY-3"), { username: "alice", password: "alice-password", clock }), () => Promise.reject(new Error("replay cache down")))), /replay cache down/);
  });

  test("an epoch left unread passes no Created: checkReplayEpoch refuses it", () => {
    const check = checkReplayEpoch("Timestamp", new Date(), () => Promise.resolve(new Date(0)));
    assert.equal(check.kind, "before-epoch");
  });
});
