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
});
