/**
 * The policy part of the WS-Security decision (SPEC §5): which policy,
 * bypasses, require_signed, profile order, all vs at_least_one (with a
 * complete trace), session binding, and a present signature being verified
 * even when nothing requires it.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, usernameProfileYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";

describe("WS-Security policy", () => {
  let partner: TestCertificate;
  let stranger: TestCertificate;
  let certs: Record<string, string>;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-policy-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048" });
    stranger = makeCertificate(dir, "stranger", { key: "rsa2048" });
    certs = { "certs/partner.pem": partner.certPem };
  });

  const x509 = (name = "Partner certificate", options: Parameters<typeof x509ProfileYaml>[2] = {}) =>
    x509ProfileYaml(name, "certs/partner.pem", { runAs: "partner.soap", ...options });
  const byUser = (name = "Partner credentials", order = 200, bindSession = true) =>
    usernameProfileYaml(name, { action: "authenticate_with_user", order, bindSession });
  const shared = (order = 300) =>
    usernameProfileYaml("Shared secret", { action: "specify_user", username: "partner", password: "s3cret", runAs: "alice", order });

  function signedWithToken(clock: ManualClock, username = "carol", password = "carol-password"): string {
    return signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, username, password, clock });
  }

  test("internal integration basic user → bypassed, even for an unsigned request", async () => {
    const config = wssConfig({ profiles: [x509()], policies: [policyYaml(["Partner certificate"])] }, certs);
    const decision = await decide(config, SOAP11_ENVELOPE, { basicUser: config.users.get("integration")! });
    assert.deepEqual(decision, { kind: "bypassed", reason: "internal-integration-user" });
  });

  test("internal integration basic user: a present signature is still verified — good → bypassed, altered → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const config = wssConfig({ profiles: [x509()], policies: [policyYaml(["Partner certificate"])] }, certs);
    const integration = { basicUser: config.users.get("integration")!, clock };
    const good = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    assert.deepEqual(await decide(config, good, integration), { kind: "bypassed", reason: "internal-integration-user" });
    assert.equal(outcomeOf(await decide(config, good.replace("printer on fire", "printer is fine"), integration)), "Unable to verify signed request");
  });

  test("ws_security.required false and no signature → bypassed (not-required)", async () => {
    const config = wssConfig({ gateway: { required: false }, profiles: [x509()], policies: [policyYaml(["Partner certificate"])] }, certs);
    assert.deepEqual(await decide(config, SOAP11_ENVELOPE), { kind: "bypassed", reason: "not-required" });
  });

  test("ws_security.required false: a present signature is still verified — good → bypassed, altered → Unable to verify signed request, unknown key → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    const config = wssConfig({ gateway: { required: false }, profiles: [x509()], policies: [policyYaml(["Partner certificate"])] }, certs);
    const good = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    assert.deepEqual(await decide(config, good, { clock }), { kind: "bypassed", reason: "not-required" });
    assert.equal(outcomeOf(await decide(config, good.replace("printer on fire", "printer is fine"), { clock })), "Unable to verify signed request");
    const unknown = signEnvelope(SOAP11_ENVELOPE, { key: stranger.keyPem, cert: stranger.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(config, unknown, { clock })), "Failed to authenticate WS-Security");
  });

  test("default policy of type outbound → Invalid Security Policy Selected. Select a Inbound policy for Inbound Requests", async () => {
    const config = wssConfig({ profiles: [x509()], policies: [policyYaml([], { type: "outbound" })] }, certs);
    assert.equal(outcomeOf(await decide(config, SOAP11_ENVELOPE)), "Invalid Security Policy Selected. Select a Inbound policy for Inbound Requests");
  });

  test("require_signed and no signature → SOAP request not Signed. Policy requires signing", async () => {
    const config = wssConfig({ profiles: [byUser()], policies: [policyYaml(["Partner credentials"])] }, certs);
    const request = signEnvelope(SOAP11_ENVELOPE, { username: "carol", password: "carol-password" });
    assert.equal(outcomeOf(await decide(config, request)), "SOAP request not Signed. Policy requires signing");
  });

  test("policy whose profiles are all inactive → No profiles to authenticate", async () => {
    const config = wssConfig({ profiles: [x509("Partner certificate", { active: false })], policies: [policyYaml(["Partner certificate"], { requireSigned: false })] }, certs);
    assert.equal(outcomeOf(await decide(config, SOAP11_ENVELOPE)), "No profiles to authenticate");
  });

  test("no policies defined: every active profile runs under require_signed + all", async () => {
    const clock = new ManualClock();
    const config = wssConfig({ profiles: [x509(), byUser()] }, certs);
    assert.equal(outcomeOf(await decide(config, signEnvelope(SOAP11_ENVELOPE, { username: "carol", password: "carol-password", clock }), { clock })), "SOAP request not Signed. Policy requires signing");
    const signedOnly = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(config, signedOnly, { clock })), "Failed to extract principal(s) from request");
    const decision = await decide(config, signedWithToken(clock), { clock });
    assert.equal(outcomeOf(decision), "admitted");
    assert.equal(decision.kind === "admitted" ? decision.policy : "?", undefined);
  });

  test("authenticate all: profiles run in ascending order and the first failure stops with its fault", async () => {
    const clock = new ManualClock();
    // Written out of order: order 300 before 100 and 200.
    const config = wssConfig({ profiles: [shared(300), byUser("Partner credentials", 200), x509()], policies: [policyYaml(["Shared secret", "Partner credentials", "Partner certificate"])] }, certs);
    const decision = await decide(config, signedWithToken(clock), { clock });
    assert.equal(outcomeOf(decision), "Failed to authenticate WS-Security");
    assert.deepEqual(decision.kind === "refused" && decision.profiles.map((profile) => [profile.profile, profile.kind]), [
      ["Partner certificate", "passed"],
      ["Partner credentials", "passed"],
      ["Shared secret", "failed"],
    ]);
  });

  test("authenticate all: a failing first profile stops before the others run", async () => {
    const clock = new ManualClock();
    const config = wssConfig({ profiles: [x509(), byUser()], policies: [policyYaml(["Partner certificate", "Partner credentials"])] }, certs);
    const request = signEnvelope(SOAP11_ENVELOPE, { key: stranger.keyPem, cert: stranger.certPem, timestampSeconds: 300, username: "carol", password: "carol-password", clock });
    const decision = await decide(config, request, { clock });
    assert.equal(outcomeOf(decision), "Failed to authenticate WS-Security");
    assert.deepEqual(decision.kind === "refused" && decision.profiles.map((profile) => profile.profile), ["Partner certificate"]);
  });

  test("at_least_one: every profile is evaluated (complete trace) and one pass admits", async () => {
    const clock = new ManualClock();
    const config = wssConfig({ profiles: [x509(), byUser(), shared()], policies: [policyYaml(["Partner certificate", "Partner credentials", "Shared secret"], { authenticate: "at_least_one" })] }, certs);
    const decision = await decide(config, signedWithToken(clock, "carol", "wrong"), { clock });
    assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
    assert.deepEqual(decision.kind === "admitted" && decision.profiles.map((profile) => [profile.profile, profile.kind]), [
      ["Partner certificate", "passed"],
      ["Partner credentials", "failed"],
      ["Shared secret", "failed"],
    ]);
    assert.equal(decision.kind === "admitted" && decision.sessionUser, "partner.soap");
  });

  test("at_least_one: none passes → Failed to authenticate WS-Security, with every profile in the trace", async () => {
    const config = wssConfig({ profiles: [x509(), byUser(), shared()], policies: [policyYaml(["Partner certificate", "Partner credentials", "Shared secret"], { authenticate: "at_least_one", requireSigned: false })] }, certs);
    const request = signEnvelope(SOAP11_ENVELOPE, { username: "carol", password: "wrong" });
    const decision = await decide(config, request);
    assert.equal(outcomeOf(decision), "Failed to authenticate WS-Security");
    assert.deepEqual(decision.kind === "refused" && decision.profiles.map((profile) => [profile.profile, profile.kind === "failed" && profile.fault]), [
      ["Partner certificate", "tokenMissing"],
      ["Partner credentials", "authenticationFailed"],
      ["Shared secret", "authenticationFailed"],
    ]);
    assert.equal(decision.kind === "refused" && decision.credentialFailure, true);
  });

  test("at_least_one with a present signature that no profile verified: it must verify with a configured certificate", async () => {
    const clock = new ManualClock();
    const config = wssConfig({ profiles: [byUser(), x509("Partner certificate", { order: 500 })], policies: [policyYaml(["Partner credentials"], { authenticate: "at_least_one" })] }, certs);
    const byPartner = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, username: "carol", password: "carol-password", clock });
    assert.equal(outcomeOf(await decide(config, byPartner, { clock })), "admitted");
    const byStranger = signEnvelope(SOAP11_ENVELOPE, { key: stranger.keyPem, cert: stranger.certPem, timestampSeconds: 300, username: "carol", password: "carol-password", clock });
    assert.equal(outcomeOf(await decide(config, byStranger, { clock })), "Failed to authenticate WS-Security");
  });

  test("session user comes from the last passed profile with bind_session", async () => {
    const clock = new ManualClock();
    const cases = [
      { profiles: [x509(), byUser()], expected: "carol" },
      { profiles: [x509(), byUser("Partner credentials", 200, false)], expected: "partner.soap" },
      { profiles: [x509("Partner certificate", { bindSession: false }), byUser("Partner credentials", 200, false)], expected: undefined },
    ];
    for (const { profiles, expected } of cases) {
      const config = wssConfig({ profiles, policies: [policyYaml(["Partner certificate", "Partner credentials"])] }, certs);
      const decision = await decide(config, signedWithToken(clock), { clock });
      assert.equal(decision.kind, "admitted", JSON.stringify(decision));
      assert.equal(decision.kind === "admitted" ? decision.sessionUser : "?", expected);
    }
  });

  test("the steps name the policy and each profile's result, and never a password", async () => {
    const clock = new ManualClock();
    const config = wssConfig({ profiles: [x509(), byUser()], policies: [policyYaml(["Partner certificate", "Partner credentials"])] }, certs);
    const decision = await decide(config, signedWithToken(clock, "carol", "carol-password"), { clock });
    assert.equal(decision.kind, "admitted");
    const steps = decision.kind === "admitted" ? decision.steps.join("\n") : "";
    assert.match(steps, /policy "Default Security Policy": require_signed true, authenticate all/);
    assert.match(steps, /profile "Partner certificate" \(x509\): passed/);
    assert.match(steps, /profile "Partner credentials" \(username\): passed: authenticated as carol \(PasswordText\)/);
    assert.doesNotMatch(steps, /carol-password/);
  });
});
