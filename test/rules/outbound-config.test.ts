/**
 * Outbound policies and profiles in the configuration (SPEC §2): each
 * direction's fields, reported at their own line when used in the other
 * direction; keys only from {file}/{env}, matched to their certificate;
 * secrets never quoted in a problem. And the digest_token block.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { checkConfig, loadConfig } from "../../src/config/load.js";
import { formatConfigProblem } from "../../src/config/types.js";
import { makeConfigDir, type ConfigFileName } from "../helpers/config-dir.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

const SIGNER = `  - name: Signer
    type: x509
    certificate: certs/signer.pem
    private_key: {file: keys/signer.key}
`;
const OUT = `  - name: Out
    type: outbound
    profiles: [Signer]
    timestamp_seconds: 300
`;

let signer: TestCertificate;
let other: TestCertificate;

function extra(): Record<string, string> {
  return { "certs/signer.pem": signer.certPem, "keys/signer.key": signer.keyPem, "keys/other.key": other.keyPem };
}

/** The inbound default policy every directory needs beside its outbound ones (appended, so line numbers above stay). */
const DEFAULT_INBOUND = `  - name: Default Security Policy\n    type: inbound\n    profiles: []\n`;

function withDefaultPolicy(files: Partial<Record<ConfigFileName, string>>): Partial<Record<ConfigFileName, string>> {
  return files.policies === undefined || files.policies.includes("Default Security Policy") ? files : { ...files, policies: files.policies + DEFAULT_INBOUND };
}

function problems(files: Partial<Record<ConfigFileName, string>>, env: NodeJS.ProcessEnv = {}): string[] {
  return checkConfig(makeConfigDir(withDefaultPolicy(files), extra()), { env }).map(formatConfigProblem);
}

before(() => {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-outbound-config-"));
  signer = makeCertificate(dir, "signer", { key: "rsa2048" });
  other = makeCertificate(dir, "other", { key: "ec-p256" });
});

describe("outbound policies and profiles", () => {
  test("a complete outbound policy loads: key, reference style, algorithm, token, Basic, TLS", () => {
    const config = loadConfig(
      makeConfigDir(
        withDefaultPolicy({
          profiles: `profiles:\n${SIGNER}    key_reference: thumbprint\n    signature_algorithm: rsa-sha512\n  - name: Token\n    type: username\n    action: specify_user\n    username: partner\n    password: {env: TOKEN_PW}\n    digest: true\n`,
          policies: `policies:\n  - name: Out\n    type: outbound\n    profiles: [Signer, Token]\n    timestamp_seconds: 120\n    basic_auth: {user: partner, password: {env: BASIC_PW}}\n    tls_client_certificate: certs/signer.pem\n    tls_client_key: {file: keys/signer.key}\n    tls_ca_certificates: [certs/signer.pem]\n`,
        }),
        extra(),
      ),
      { env: { TOKEN_PW: "token-secret", BASIC_PW: "basic-secret" } },
    );
    const out = config.outboundPolicies.get("Out")!;
    assert.equal(out.timestampSeconds, 120);
    assert.deepEqual(out.basicAuth, { user: "partner", password: "basic-secret" });
    assert.equal(out.tlsClient?.key.asymmetricKeyType, "rsa");
    assert.equal(out.tlsCaCertificates.length, 1);
    const [x509, token] = out.profiles;
    assert.equal(x509?.kind === "x509" && `${x509.keyReference} ${x509.signatureAlgorithm}`, "thumbprint rsa-sha512");
    assert.deepEqual(token, { kind: "username", name: "Token", username: "partner", password: "token-secret", digest: true });
    // Profiles only an outbound policy uses are never evaluated inbound.
    assert.deepEqual(config.profiles.map((p) => p.name), []);
  });

  test("require_signed, authenticate and require_timestamp on an outbound policy → an error at each field's line", () => {
    assert.deepEqual(problems({ profiles: `profiles:\n${SIGNER}`, policies: `policies:\n${OUT}    require_signed: true\n    authenticate: all\n` }), [
      "policies.yaml:6: policies[0].require_signed: belongs to inbound policies only (this policy is outbound)",
      "policies.yaml:7: policies[0].authenticate: belongs to inbound policies only (this policy is outbound)",
    ]);
  });

  test("timestamp_seconds, basic_auth and tls_* on an inbound policy → an error at each field's line", () => {
    const policies = `policies:\n  - name: In\n    type: inbound\n    profiles: []\n    timestamp_seconds: 300\n    basic_auth: {user: a, password: b}\n    tls_client_certificate: certs/signer.pem\n    tls_client_key: {file: keys/signer.key}\n    tls_ca_certificates: []\n`;
    assert.deepEqual(problems({ gateway: "ws_security:\n  default_policy: In\n", policies }), [
      "policies.yaml:5: policies[0].timestamp_seconds: belongs to outbound policies only (this policy is inbound)",
      "policies.yaml:6: policies[0].basic_auth: belongs to outbound policies only (this policy is inbound)",
      "policies.yaml:7: policies[0].tls_client_certificate: belongs to outbound policies only (this policy is inbound)",
      "policies.yaml:8: policies[0].tls_client_key: belongs to outbound policies only (this policy is inbound)",
      "policies.yaml:9: policies[0].tls_ca_certificates: belongs to outbound policies only (this policy is inbound)",
    ]);
  });

  test("an inbound-only field on a profile an outbound policy uses → an error at its line", () => {
    assert.deepEqual(problems({ profiles: `profiles:\n${SIGNER}    run_as_user: alice\n    check_validity: true\n`, policies: `policies:\n${OUT}` }), [
      "profiles.yaml:6: profiles[0].run_as_user: belongs to inbound profiles only (the profile is used by an outbound policy)",
      "profiles.yaml:7: profiles[0].check_validity: belongs to inbound profiles only (the profile is used by an outbound policy)",
    ]);
  });

  test("a profile both an inbound and an outbound policy use may carry the fields of both directions (each side uses its own)", () => {
    const profiles = `profiles:\n${SIGNER}    run_as_user: alice\n    bind_session: true\n`;
    const policies = `policies:\n${OUT}  - name: Default Security Policy\n    type: inbound\n    profiles: [Signer]\n`;
    assert.deepEqual(problems({ profiles, policies }), []);
    const config = loadConfig(makeConfigDir({ profiles, policies }, extra()), { env: {} });
    assert.deepEqual(config.profiles.map((p) => [p.name, p.kind === "x509" && p.runAsUser]), [["Signer", "alice"]]);
    assert.equal(config.outboundPolicies.get("Out")?.profiles[0]?.kind, "x509");
  });

  test("a private key on an inbound profile → an error at its line (a key is never kept where it is not used)", () => {
    const profiles = `profiles:\n  - name: In\n    type: x509\n    run_as_user: alice\n    certificate: certs/signer.pem\n    private_key: {file: keys/signer.key}\n    key_reference: ski\n`;
    assert.deepEqual(problems({ profiles }), [
      "profiles.yaml:6: profiles[0].private_key: belongs to outbound profiles only (the profile is used by inbound requests)",
      "profiles.yaml:7: profiles[0].key_reference: belongs to outbound profiles only (the profile is used by inbound requests)",
    ]);
  });

  test("an outbound x509 profile without private_key, and an authenticate_with_user profile outbound → errors", () => {
    const profiles = `profiles:\n  - name: Signer\n    type: x509\n    certificate: certs/signer.pem\n  - name: Token\n    type: username\n    action: authenticate_with_user\n    user_field: email\n`;
    assert.deepEqual(problems({ profiles, policies: `policies:\n  - name: Out\n    type: outbound\n    profiles: [Signer, Token]\n` }), [
      "profiles.yaml:2: profiles[0].private_key: required field is missing (the profile is used by an outbound policy, which signs with it)",
      "profiles.yaml:7: profiles[1].action: must be specify_user (the profile is used by an outbound policy)",
      "profiles.yaml:8: profiles[1].user_field: belongs to inbound profiles only (the profile is used by an outbound policy)",
    ]);
  });

  test("a private key written inline, a key that is not the certificate's, an algorithm that does not fit it → errors that never quote the key", () => {
    const inline = problems({ profiles: `profiles:\n  - name: Signer\n    type: x509\n    certificate: certs/signer.pem\n    private_key: "-----BEGIN PRIVATE KEY-----abc"\n`, policies: `policies:\n${OUT}` });
    assert.deepEqual(inline, ["profiles.yaml:5: profiles[0].private_key: must be {env: NAME} or {file: PATH} (a key is never written inline)"]);
    const wrongKey = problems({ profiles: `profiles:\n  - name: Signer\n    type: x509\n    certificate: certs/signer.pem\n    private_key: {file: keys/other.key}\n`, policies: `policies:\n${OUT}` });
    assert.deepEqual(wrongKey, ["profiles.yaml:5: profiles[0].private_key: is not the key of certs/signer.pem"]);
    const algorithm = problems({ profiles: `profiles:\n${SIGNER}    signature_algorithm: ecdsa-sha256\n`, policies: `policies:\n${OUT}` });
    assert.deepEqual(algorithm, ["profiles.yaml:6: profiles[0].signature_algorithm: ecdsa-sha256 does not fit the rsa key"]);
    const unreadable = problems({ profiles: `profiles:\n  - name: Signer\n    type: x509\n    certificate: certs/signer.pem\n    private_key: {env: SIGNER_KEY}\n`, policies: `policies:\n${OUT}` }, { SIGNER_KEY: "not a key s3cr3t" });
    assert.deepEqual(unreadable, ["profiles.yaml:5: profiles[0].private_key: is not a PEM private key (encrypted keys are not supported)"]);
    for (const line of [...inline, ...wrongKey, ...unreadable]) assert.equal(/BEGIN|s3cr3t|abc/.test(line), false);
  });

  test("tls_client_certificate without tls_client_key, and two x509 profiles in one outbound policy → errors", () => {
    const profiles = `profiles:\n${SIGNER}  - name: Signer 2\n    type: x509\n    certificate: certs/signer.pem\n    private_key: {file: keys/signer.key}\n`;
    assert.deepEqual(problems({ profiles, policies: `policies:\n  - name: Out\n    type: outbound\n    profiles: [Signer, Signer 2]\n    tls_client_certificate: certs/signer.pem\n` }), [
      "policies.yaml:2: policies[0].tls_client_key: required with tls_client_certificate",
      "policies.yaml:4: policies[0].profiles: an outbound policy applies at most one x509 profile (got Signer, Signer 2)",
    ]);
  });
});

describe("digest_token in gateway.yaml", () => {
  test("defaults: SM_USER, DE_USER, user_name, HmacSHA256, no max age", () => {
    const config = loadConfig(makeConfigDir({ gateway: "digest_token:\n  secret: {env: DT_SECRET}\n" }), { env: { DT_SECRET: "12345" } });
    assert.deepEqual(config.digestToken, { secret: "12345", userHeader: "SM_USER", tokenHeader: "DE_USER", userField: "user_name", algorithm: "HmacSHA256", maxAgeSeconds: undefined });
  });

  test("an unknown algorithm, a missing secret and an unset env secret → errors at their lines", () => {
    assert.deepEqual(problems({ gateway: "digest_token:\n  algorithm: HmacSHA3\n" }), [
      "gateway.yaml:1: digest_token.secret: required field is missing",
      "gateway.yaml:2: digest_token.algorithm: must be one of HmacSHA256, HmacSHA1, HmacSHA224, HmacSHA384, HmacSHA512, HmacMD5",
    ]);
    assert.deepEqual(problems({ gateway: "digest_token:\n  secret: {env: DT_SECRET}\n  max_age_seconds: 60\n" }), [
      "gateway.yaml:2: digest_token.secret: environment variable DT_SECRET is not set",
    ]);
  });
});
