/**
 * The username profile (SPEC §5): UsernameToken PasswordText and
 * PasswordDigest, authenticate_with_user (user_name or email) and
 * specify_user, freshness of Created, and every way a token is missing,
 * unreadable, unsupported or wrong.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope, type SignOptions } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, usernameProfileYaml, wssConfig } from "../helpers/wss-config.js";
import { tamperable } from "../helpers/wss-dom.js";

const byUserName = wssConfig({
  profiles: [usernameProfileYaml("Partner credentials", { action: "authenticate_with_user" })],
  policies: [policyYaml(["Partner credentials"], { requireSigned: false })],
});
const byEmail = wssConfig({
  profiles: [usernameProfileYaml("Partner email", { action: "authenticate_with_user", userField: "email" })],
  policies: [policyYaml(["Partner email"], { requireSigned: false })],
});
const sharedSecret = wssConfig({
  profiles: [usernameProfileYaml("Shared secret", { action: "specify_user", username: "partner", password: "s3cret-value", runAs: "partner.soap" })],
  policies: [policyYaml(["Shared secret"], { requireSigned: false })],
});

function token(options: Partial<SignOptions> & { username: string; password: string }): string {
  return signEnvelope(SOAP11_ENVELOPE, options);
}

async function expectOutcome(config: typeof byUserName, xml: string, expected: string, reason?: RegExp, clock = new ManualClock()) {
  const decision = await decide(config, xml, { clock });
  assert.equal(outcomeOf(decision), expected, JSON.stringify(decision));
  if (reason) assert.match(decision.kind === "bypassed" ? "" : decision.steps.join("\n"), reason);
  return decision;
}

describe("UsernameToken profile", () => {
  test("PasswordText against a recoverable password → admitted, session user = the matched user", async () => {
    const decision = await expectOutcome(byUserName, token({ username: "alice", password: "alice-password" }), "admitted");
    assert.equal(decision.kind === "admitted" && decision.sessionUser, "alice");
  });

  test("PasswordText against a scrypt hash → admitted", async () => {
    await expectOutcome(byUserName, token({ username: "carol", password: "carol-password" }), "admitted");
  });

  test("PasswordDigest against a recoverable password → admitted", async () => {
    await expectOutcome(byUserName, token({ username: "alice", password: "alice-password", passwordType: "digest" }), "admitted");
  });

  test("PasswordDigest against a hash-only user → Failed to authenticate WS-Security, and the trace says why", async () => {
    await expectOutcome(byUserName, token({ username: "carol", password: "carol-password", passwordType: "digest" }), "Failed to authenticate WS-Security", /PasswordDigest needs a recoverable password/);
  });

  for (const passwordType of ["text", "digest"] as const) {
    test(`wrong password (${passwordType}) → Failed to authenticate WS-Security, counted as a credential failure`, async () => {
      const decision = await expectOutcome(byUserName, token({ username: "alice", password: "wrong", passwordType }), "Failed to authenticate WS-Security");
      assert.equal(decision.kind === "refused" && decision.credentialFailure, true);
    });
  }

  test("unknown user → Failed to authenticate WS-Security, counted as a credential failure", async () => {
    const decision = await expectOutcome(byUserName, token({ username: "mallory", password: "alice-password" }), "Failed to authenticate WS-Security");
    assert.equal(decision.kind === "refused" && decision.credentialFailure, true);
  });

  test("inactive user with the right password → Failed to authenticate WS-Security", async () => {
    await expectOutcome(byUserName, token({ username: "dave", password: "dave-password" }), "Failed to authenticate WS-Security", /inactive/);
  });

  test("user_field email: <Username> is matched against the email → admitted as that user", async () => {
    const decision = await expectOutcome(byEmail, token({ username: "alice@example.test", password: "alice-password" }), "admitted");
    assert.equal(decision.kind === "admitted" && decision.sessionUser, "alice");
    await expectOutcome(byEmail, token({ username: "alice", password: "alice-password" }), "Failed to authenticate WS-Security");
  });

  test("specify_user: the profile's username and password → admitted as run_as_user (text and digest)", async () => {
    for (const passwordType of ["text", "digest"] as const) {
      const decision = await expectOutcome(sharedSecret, token({ username: "partner", password: "s3cret-value", passwordType }), "admitted");
      assert.equal(decision.kind === "admitted" && decision.sessionUser, "partner.soap");
    }
  });

  test("specify_user: wrong username or wrong password → Failed to authenticate WS-Security", async () => {
    await expectOutcome(sharedSecret, token({ username: "partner2", password: "s3cret-value" }), "Failed to authenticate WS-Security");
    await expectOutcome(sharedSecret, token({ username: "partner", password: "s3cret" }), "Failed to authenticate WS-Security");
  });

  test("no UsernameToken → Failed to extract principal(s) from request", async () => {
    await expectOutcome(byUserName, SOAP11_ENVELOPE, "Failed to extract principal(s) from request");
  });

  test("two UsernameTokens → Failed to extract principal(s) from request", async () => {
    const dom = tamperable(token({ username: "alice", password: "alice-password" }));
    const usernameToken = dom.one(NS.wsse, "UsernameToken");
    usernameToken.parentNode!.appendChild(usernameToken.cloneNode(true));
    await expectOutcome(byUserName, dom.xml(), "Failed to extract principal(s) from request", /2 wsse:UsernameToken/);
  });

  for (const removed of ["Nonce", "Created"] as const) {
    test(`PasswordDigest without ${removed} → Failed to extract principal(s) from request`, async () => {
      const dom = tamperable(token({ username: "alice", password: "alice-password", passwordType: "digest" }));
      const element = dom.one(removed === "Nonce" ? NS.wsse : NS.wsu, removed);
      element.parentNode!.removeChild(element);
      await expectOutcome(byUserName, dom.xml(), "Failed to extract principal(s) from request", /PasswordDigest needs a Nonce and a Created/);
    });
  }

  test("unknown Password Type → Failed to authenticate WS-Security, unknown type", async () => {
    const dom = tamperable(token({ username: "alice", password: "alice-password" }));
    dom.one(NS.wsse, "Password").setAttribute("Type", "urn:example:PasswordHash");
    await expectOutcome(byUserName, dom.xml(), "Failed to authenticate WS-Security, unknown type");
  });

  test("Nonce with a HexBinary EncodingType → Failed to authenticate WS-Security, unknown type", async () => {
    const dom = tamperable(token({ username: "alice", password: "alice-password", passwordType: "digest" }));
    dom.one(NS.wsse, "Nonce").setAttribute("EncodingType", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#HexBinary");
    await expectOutcome(byUserName, dom.xml(), "Failed to authenticate WS-Security, unknown type");
  });

  test("Created older than timestamp_ttl_seconds → WS-Security message expired", async () => {
    const clock = new ManualClock();
    const old = token({ username: "alice", password: "alice-password", passwordType: "digest", clock: new ManualClock(clock.now().getTime() - 301_000) });
    await expectOutcome(byUserName, old, "WS-Security message expired", /Created is 301s old/, clock);
  });

  test("Created beyond the clock skew in the future → WS-Security message expired; within the skew → admitted", async () => {
    const clock = new ManualClock();
    const future = (seconds: number) => token({ username: "alice", password: "alice-password", clock: new ManualClock(clock.now().getTime() + seconds * 1000) });
    await expectOutcome(byUserName, future(61), "WS-Security message expired", /in the future/, clock);
    await expectOutcome(byUserName, future(59), "admitted", undefined, clock);
  });
});
