/**
 * User enumeration by timing (issue: a wrong Basic password cost ~100 ms for
 * an unknown user, ~3 ms for a user with a literal password, ~94 ms for a
 * hashed one; on the UsernameToken path ~4 ms for an unknown user, ~92 ms for
 * a hashed one). Every credential failure now costs one full-cost KDF: the
 * user's own scrypt where it ran, else one scrypt against a fixed dummy hash
 * (src/auth/failure-cost.ts). Successes never pay it.
 *
 * No timing is measured here (the machine is shared): the dummy KDF is spied
 * on, and each test asserts that exactly the refusals that ran no KDF of
 * their own take it, once — and that admitted requests do not.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, mock, test } from "node:test";
import { DUMMY_HASH, failureCost } from "../../src/auth/failure-cost.js";
import { DEFAULT_SCRYPT_LOG2_N, parseScryptHash, verifyScryptHash } from "../../src/auth/password.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, usernameProfileYaml, WSS_USERS_YAML, wssConfig } from "../helpers/wss-config.js";

let dummyKdf: ReturnType<typeof mock.method<typeof failureCost, "spendDummyKdf">>;
beforeEach(() => {
  dummyKdf = mock.method(failureCost, "spendDummyKdf");
});
afterEach(() => mock.restoreAll());

/** WSS_USERS_YAML: alice (literal password), carol (scrypt hash of "carol-password"), dave (literal, inactive). */
const USERS_YAML = `${WSS_USERS_YAML}  - user_name: erin
    password: "$scrypt$ln=10,r=8,p=1$KuPLoGNHm5Yqjitxl35ZYw==$LGwqVgx5Ge8rFqJlLOiBnPWyHoYm4TLol77QlMBBLaQ="
    roles: [soap]
    active: false
`;

describe("Basic auth: every refusal costs one KDF", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({ files: { users: USERS_YAML } });
  });
  after(() => gateway.close());

  const insert = soapEnvelope("incident", "insert", "<number>TIMING</number>");
  async function status(user: string, password: string): Promise<number> {
    return (await postSoap(gateway, "incident", insert, { authorization: basicAuth(user, password) })).status;
  }

  for (const [name, user, password] of [
    ["an unknown user", "nobody", "guess"],
    ["a wrong literal password", "alice", "wrong"],
    ["an inactive user with its right literal password", "dave", "dave-password"],
    ["an inactive user with a wrong literal password", "dave", "wrong"],
  ] as const) {
    test(`${name} → 401 after one dummy scrypt (it ran no KDF of its own)`, async () => {
      assert.equal(await status(user, password), 401);
      assert.equal(dummyKdf.mock.callCount(), 1);
      assert.deepEqual(dummyKdf.mock.calls[0]!.arguments, [password]);
    });
  }

  for (const [name, user, password] of [
    ["a wrong password for a hashed user", "carol", "wrong"],
    ["an inactive hashed user with its right password", "erin", "carol-password"],
  ] as const) {
    test(`${name} → 401, its own scrypt ran: no dummy on top`, async () => {
      assert.equal(await status(user, password), 401);
      assert.equal(dummyKdf.mock.callCount(), 0);
    });
  }

  test("admitted requests never pay the dummy: a literal password, a hashed one (scrypt, then the credential cache)", async () => {
    assert.equal(await status("alice", "alice-password"), 200);
    assert.equal(await status("carol", "carol-password"), 200);
    assert.equal(await status("carol", "carol-password"), 200);
    assert.equal(dummyKdf.mock.callCount(), 0);
  });

  test("no credentials or an unreadable header is no password check: 401 without a KDF", async () => {
    assert.equal((await postSoap(gateway, "incident", insert)).status, 401);
    assert.equal((await postSoap(gateway, "incident", insert, { authorization: "Basic !!!" })).status, 401);
    assert.equal(dummyKdf.mock.callCount(), 0);
  });
});

describe("UsernameToken: every credential refusal costs one KDF", () => {
  const byUserName = wssConfig({
    profiles: [usernameProfileYaml("Partner credentials", { action: "authenticate_with_user" })],
    policies: [policyYaml(["Partner credentials"], { requireSigned: false })],
  });
  const sharedSecret = wssConfig({
    profiles: [usernameProfileYaml("Shared secret", { action: "specify_user", username: "partner", password: "s3cret-value", runAs: "alice" })],
    policies: [policyYaml(["Shared secret"], { requireSigned: false })],
  });
  const token = (username: string, password: string, passwordType: "text" | "digest" = "text") => signEnvelope(SOAP11_ENVELOPE, { username, password, passwordType });

  for (const [name, config, xml] of [
    ["an unknown user (PasswordText)", byUserName, token("nobody", "guess")],
    ["an unknown user (PasswordDigest)", byUserName, token("nobody", "guess", "digest")],
    ["a wrong PasswordText for a literal-password user", byUserName, token("alice", "wrong")],
    ["a wrong PasswordDigest for a literal-password user", byUserName, token("alice", "wrong", "digest")],
    ["an inactive user", byUserName, token("dave", "dave-password")],
    ["a PasswordDigest for a hash-only user", byUserName, token("carol", "carol-password", "digest")],
    ["specify_user with a wrong password", sharedSecret, token("partner", "wrong")],
  ] as const) {
    test(`${name} → Failed to authenticate WS-Security after one dummy scrypt`, async () => {
      assert.equal(outcomeOf(await decide(config, xml)), "Failed to authenticate WS-Security");
      assert.equal(dummyKdf.mock.callCount(), 1);
    });
  }

  test("a wrong PasswordText for a hashed user → refused, its own scrypt ran: no dummy on top", async () => {
    assert.equal(outcomeOf(await decide(byUserName, token("carol", "wrong"))), "Failed to authenticate WS-Security");
    assert.equal(dummyKdf.mock.callCount(), 0);
  });

  test("admitted tokens never pay the dummy (literal text and digest, hashed text, specify_user)", async () => {
    assert.equal(outcomeOf(await decide(byUserName, token("alice", "alice-password"))), "admitted");
    assert.equal(outcomeOf(await decide(byUserName, token("alice", "alice-password", "digest"))), "admitted");
    assert.equal(outcomeOf(await decide(byUserName, token("carol", "carol-password"))), "admitted");
    assert.equal(outcomeOf(await decide(sharedSecret, token("partner", "s3cret-value"))), "admitted");
    assert.equal(dummyKdf.mock.callCount(), 0);
  });
});

test("the dummy hash is a well-formed scrypt hash at the default (hash-password) cost that no password matches", async () => {
  const params = parseScryptHash(DUMMY_HASH);
  assert.ok(params, "the dummy hash parses, so a real scrypt runs against it");
  assert.equal(params.log2N, DEFAULT_SCRYPT_LOG2_N);
  assert.equal(await verifyScryptHash("", DUMMY_HASH), false);
  assert.equal(await verifyScryptHash("timing-equaliser", DUMMY_HASH), false);
});
