/**
 * Replay: a captured request sent again. An accepted SignatureValue and a
 * UsernameToken (username, nonce) are each accepted once within the TTL;
 * after the TTL the Timestamp/Created refuses the message as expired. Only
 * verified values are remembered, so a forged message cannot block the
 * genuine one by spending its SignatureValue or nonce first.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, usernameProfileYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";
import { tamperable } from "../helpers/wss-dom.js";
import { makeAttackPki } from "../helpers/attack-gateway.js";
import { reservingReplayGuard, type ReplayGuard } from "../../src/replay/guard.js";

describe("replay", () => {
  let partner: TestCertificate;
  let x509Config: GatewayConfig;
  let usernameConfig: GatewayConfig;
  let bothConfig: GatewayConfig;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-replay-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048" });
    const certs = { "certs/partner.pem": partner.certPem };
    x509Config = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, certs);
    usernameConfig = wssConfig({
      profiles: [usernameProfileYaml("Partner credentials", { action: "authenticate_with_user" })],
      policies: [policyYaml(["Partner credentials"], { requireSigned: false })],
    });
    bothConfig = wssConfig(
      {
        profiles: [
          x509ProfileYaml("Partner certificate", "certs/partner.pem"),
          x509ProfileYaml("Partner certificate again", "certs/partner.pem", { order: 150 }),
          usernameProfileYaml("By user name", { action: "authenticate_with_user", order: 200 }),
          usernameProfileYaml("By email", { action: "authenticate_with_user", userField: "email", order: 300 }),
        ],
        policies: [policyYaml(["Partner certificate", "Partner certificate again", "By user name", "By email"], { authenticate: "at_least_one" })],
      },
      certs,
    );
  });

  test("the same signed request twice → second: WS-Security message replayed", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "admitted");
    clock.advanceSeconds(30);
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "WS-Security message replayed");
  });

  test("the same signed request after the TTL → WS-Security message expired (the Timestamp ends the replay window)", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 600, clock });
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "admitted");
    clock.advanceSeconds(301);
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "WS-Security message expired");
  });

  test("a forged request carrying the genuine SignatureValue first does not block the genuine request", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    const forged = signed.replace("printer on fire", "printer is fine");
    assert.equal(outcomeOf(await decide(x509Config, forged, { clock, replayCache })), "Unable to verify signed request");
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "admitted");
    assert.equal(await replayCache.size(), 1);
  });

  test("one request evaluated by two x509 and two username profiles is remembered once per value, and admitted", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, username: "alice", password: "alice-password", clock });
    const decision = await decide(bothConfig, signed, { clock, replayCache });
    assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
    assert.deepEqual(decision.kind === "admitted" && decision.profiles.map((profile) => profile.kind), ["passed", "passed", "passed", "failed"]);
    assert.equal(await replayCache.size(), 2);
  });

  test("UsernameToken with the same nonce twice (PasswordDigest, then PasswordText) → second: WS-Security message replayed", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const nonce = Buffer.from("0123456789abcdef");
    for (const passwordType of ["digest", "text"] as const) {
      const request = signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "alice-password", passwordType, nonce, clock });
      const expected = passwordType === "digest" ? "admitted" : "WS-Security message replayed";
      assert.equal(outcomeOf(await decide(usernameConfig, request, { clock, replayCache })), expected);
    }
  });

  test("the same nonce from two different users → both admitted", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const nonce = Buffer.from("fedcba9876543210");
    const alice = signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "alice-password", passwordType: "digest", nonce, clock });
    const partnerUser = signEnvelope(SOAP11_ENVELOPE, { username: "partner.soap", password: "partner-password", passwordType: "digest", nonce, clock });
    assert.equal(outcomeOf(await decide(usernameConfig, alice, { clock, replayCache })), "admitted");
    assert.equal(outcomeOf(await decide(usernameConfig, partnerUser, { clock, replayCache })), "admitted");
  });

  test("a wrong password with the genuine nonce first does not spend the nonce", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const nonce = Buffer.from("nonce-under-test");
    const wrong = signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "guessed", passwordType: "digest", nonce, clock });
    const genuine = signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "alice-password", passwordType: "digest", nonce, clock });
    assert.equal(outcomeOf(await decide(usernameConfig, wrong, { clock, replayCache })), "Failed to authenticate WS-Security");
    assert.equal(outcomeOf(await decide(usernameConfig, genuine, { clock, replayCache })), "admitted");
  });

  test("the nonce's whitespace re-wrapped → still the same nonce: WS-Security message replayed", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const request = signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "alice-password", nonce: Buffer.from("0123456789abcdef0123"), clock });
    assert.equal(outcomeOf(await decide(usernameConfig, request, { clock, replayCache })), "admitted");
    const dom = tamperable(request);
    const nonceElement = dom.one(NS.wsse, "Nonce");
    const text = nonceElement.textContent!;
    nonceElement.textContent = `${text.slice(0, 4)}\n  ${text.slice(4)}`;
    assert.equal(outcomeOf(await decide(usernameConfig, dom.xml(), { clock, replayCache })), "WS-Security message replayed");
  });

  test("replay cache full of unexpired entries → refused (Service temporarily unavailable), never admitted", async () => {
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock, { maxEntries: 1 });
    const first = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    const second = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock: new ManualClock(clock.now().getTime() + 1000) });
    assert.equal(outcomeOf(await decide(x509Config, first, { clock, replayCache })), "admitted");
    clock.advanceSeconds(2);
    assert.equal(outcomeOf(await decide(x509Config, second, { clock, replayCache })), "Service temporarily unavailable");
  });

  const P256_ORDER = BigInt("0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

  /** The ECDSA signature's malleable twin (r, n − s): a different, equally valid SignatureValue over the same SignedInfo. */
  function malleableTwin(signed: string): string {
    const dom = tamperable(signed);
    const element = dom.one(NS.ds, "SignatureValue");
    const value = Buffer.from(element.textContent!.replace(/\s+/g, ""), "base64");
    const half = value.length / 2;
    const s = BigInt(`0x${value.subarray(half).toString("hex")}`);
    const twin = Buffer.concat([value.subarray(0, half), Buffer.from((P256_ORDER - s).toString(16).padStart(half * 2, "0"), "hex")]);
    element.textContent = twin.toString("base64");
    return dom.xml();
  }

  test("ECDSA signature's malleable twin (r, n − s) of an accepted message → WS-Security message replayed; its re-encoded base64 too", async () => {
    const { ec } = makeAttackPki();
    const ecConfig = wssConfig({ profiles: [x509ProfileYaml("Partner EC", "certs/ec.pem")], policies: [policyYaml(["Partner EC"])] }, { "certs/ec.pem": ec.certPem });
    const clock = new ManualClock();
    const replayCache = new MemoryReplayCache(clock);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: ec.keyPem, cert: ec.certPem, timestampSeconds: 300, clock });
    const twin = malleableTwin(signed);
    assert.notEqual(twin, signed);
    // The twin alone is a valid signature: a fresh cache admits it.
    assert.equal(outcomeOf(await decide(ecConfig, twin, { clock })), "admitted");
    assert.equal(outcomeOf(await decide(ecConfig, signed, { clock, replayCache })), "admitted");
    assert.equal(outcomeOf(await decide(ecConfig, twin, { clock, replayCache })), "WS-Security message replayed");
    const dom = tamperable(signed);
    const value = dom.one(NS.ds, "SignatureValue");
    value.textContent = value.textContent!.replace(/(.{16})/g, "$1\n");
    assert.equal(outcomeOf(await decide(ecConfig, dom.xml(), { clock, replayCache })), "WS-Security message replayed");
  });

  /** A reserving guard whose claim runs `delaySeconds` later on the manual clock: a slow password check or event loop. */
  function slowGuard(clock: ManualClock, replayCache: MemoryReplayCache, delaySeconds: number): ReplayGuard {
    const guard = reservingReplayGuard(replayCache);
    return {
      claim: async (key, expiresAt) => {
        clock.advanceSeconds(delaySeconds);
        return guard.claim(key, expiresAt);
      },
      checkOnly: () => guard.checkOnly(),
    };
  }

  test("the replay entry lives until the Timestamp's Created + TTL + skew, whenever it was stored (manual clock)", async () => {
    const clock = new ManualClock();
    const created = clock.now().getTime();
    const replayCache = new MemoryReplayCache(clock);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 600, clock });
    // Fresh at Created + 250 s, stored 40 s later (slow verification).
    clock.set(created + 250_000);
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replay: slowGuard(clock, replayCache, 40) })), "admitted");
    clock.set(created + 299_000); // still fresh (TTL 300 s): the entry must be there
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "WS-Security message replayed");
    clock.set(created + 359_999);
    assert.equal(await replayCache.size(), 1, "the entry is still held just before Created + TTL + skew");
    clock.set(created + 360_000); // Created + TTL + skew: the message is refused as expired anyway
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "WS-Security message expired");
  });

  test("fresh at the check, its window over by the time the replay entry is claimed → WS-Security message expired, never a second acceptance", async () => {
    const clock = new ManualClock();
    const created = clock.now().getTime();
    const replayCache = new MemoryReplayCache(clock);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 600, clock });
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replayCache })), "admitted");
    clock.set(created + 299_000); // fresh for the Timestamp check…
    // …but claimed 120 s later, past Created + TTL + skew, when the first entry has expired.
    assert.equal(outcomeOf(await decide(x509Config, signed, { clock, replay: slowGuard(clock, replayCache, 120) })), "WS-Security message expired");
  });

  test("a nonce's entry lives until the token's Created + TTL + skew (manual clock)", async () => {
    const clock = new ManualClock();
    const created = clock.now().getTime();
    const replayCache = new MemoryReplayCache(clock);
    const request = signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "alice-password", passwordType: "digest", clock });
    clock.set(created + 200_000);
    assert.equal(outcomeOf(await decide(usernameConfig, request, { clock, replay: slowGuard(clock, replayCache, 90) })), "admitted");
    clock.set(created + 299_000);
    assert.equal(outcomeOf(await decide(usernameConfig, request, { clock, replayCache })), "WS-Security message replayed");
    assert.equal(await replayCache.size(), 1);
    clock.set(created + 360_000);
    assert.equal(await replayCache.size(), 0);
  });
});
