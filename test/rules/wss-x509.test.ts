/**
 * The X.509 profile (SPEC §5): the signature must verify with the profile's
 * configured certificate, however the key is referenced; certificate
 * checks (validity, key size, CA chain); algorithm choices that are allowed.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope, type KeyReferenceStyle } from "../../src/wss/sign/index.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { makeIssuedCertificate } from "../helpers/pki.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, SOAP12_ENVELOPE, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("X.509 profile", () => {
  let partner: TestCertificate;
  let ec: TestCertificate;
  let weak: TestCertificate;
  let expired: TestCertificate;
  let ca: TestCertificate;
  let leaf: TestCertificate;
  let otherCa: TestCertificate;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-x509-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048", subject: "/C=NL/O=Partner, Inc./CN=partner.example", serialHex: "00F1E2D3C4B5A6978801" });
    ec = makeCertificate(dir, "ec", { key: "ec-p256" });
    weak = makeCertificate(dir, "weak", { key: "rsa1024" });
    expired = makeCertificate(dir, "expired", { key: "rsa2048", notBefore: new Date(Date.now() - 400 * DAY_MS), notAfter: new Date(Date.now() - 30 * DAY_MS) });
    ca = makeCertificate(dir, "ca", { key: "rsa2048", subject: "/O=Test CA/CN=Test Root" });
    otherCa = makeCertificate(dir, "other-ca", { key: "rsa2048", subject: "/O=Test CA/CN=Other Root" });
    leaf = makeIssuedCertificate(dir, "leaf", ca, { key: "rsa2048", subject: "/O=Partner/CN=leaf.example" });
  });

  function configFor(
    signer: TestCertificate,
    options: { caCertificates?: TestCertificate[]; checkValidity?: boolean; minRsaKeyBits?: number; allowSha1?: boolean; requireTimestamp?: boolean } = {},
  ) {
    const extra: Record<string, string> = { "certs/signer.pem": signer.certPem };
    const caPaths = (options.caCertificates ?? []).map((certificate, index) => {
      extra[`certs/ca-${index}.pem`] = certificate.certPem;
      return `certs/ca-${index}.pem`;
    });
    return wssConfig(
      {
        gateway: { ...(options.minRsaKeyBits ? { minRsaKeyBits: options.minRsaKeyBits } : {}), ...(options.allowSha1 ? { allowSha1: true } : {}) },
        profiles: [x509ProfileYaml("Partner certificate", "certs/signer.pem", { runAs: "partner.soap", caCertificates: caPaths, ...(options.checkValidity === undefined ? {} : { checkValidity: options.checkValidity }) })],
        policies: [policyYaml(["Partner certificate"], options.requireTimestamp === undefined ? {} : { requireTimestamp: options.requireTimestamp })],
      },
      extra,
    );
  }

  const styles: KeyReferenceStyle[] = ["bst", "issuer-serial", "ski", "thumbprint", "x509data"];
  for (const style of styles) {
    test(`key referenced by ${style} → admitted, session user = run_as_user`, async () => {
      const clock = new ManualClock();
      const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, keyReference: style, timestampSeconds: 300, clock });
      const decision = await decide(configFor(partner), signed, { clock });
      assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
      assert.equal(decision.kind === "admitted" && decision.sessionUser, "partner.soap");
    });
  }

  test("ECDSA P-256 signature (raw r||s) → admitted", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: ec.keyPem, cert: ec.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(configFor(ec), signed, { clock })), "admitted");
  });

  test("SOAP 1.2 envelope signed with inclusive c14n and SHA-512 → admitted", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP12_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, canonicalization: "inclusive", digest: "sha512", timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(configFor(partner), signed, { clock })), "admitted");
  });

  test("signature without a Timestamp under require_timestamp (the default) → Failed to extract principal(s) from request", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, clock });
    assert.equal(outcomeOf(await decide(configFor(partner), signed, { clock })), "Failed to extract principal(s) from request");
  });

  test("signature without a Timestamp under require_timestamp: false → admitted", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, clock });
    assert.equal(outcomeOf(await decide(configFor(partner, { requireTimestamp: false }), signed, { clock })), "admitted");
  });

  test("1024-bit RSA below min_rsa_key_bits → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: weak.keyPem, cert: weak.certPem, timestampSeconds: 300, clock });
    const decision = await decide(configFor(weak), signed, { clock });
    assert.equal(outcomeOf(decision), "Failed to authenticate WS-Security");
    assert.match(decision.kind === "refused" ? decision.steps.join("\n") : "", /RSA key of 1024 bits is below min_rsa_key_bits 2048/);
    assert.equal(outcomeOf(await decide(configFor(weak, { minRsaKeyBits: 1024 }), signed, { clock })), "admitted");
  });

  test("expired certificate with check_validity → Failed to authenticate WS-Security; without it → admitted", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: expired.keyPem, cert: expired.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(configFor(expired), signed, { clock })), "Failed to authenticate WS-Security");
    assert.equal(outcomeOf(await decide(configFor(expired, { checkValidity: false }), signed, { clock })), "admitted");
  });

  test("certificate not yet valid → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock(Date.now() - 3 * DAY_MS);
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(configFor(partner), signed, { clock })), "Failed to authenticate WS-Security");
  });

  test("ca_certificates: leaf issued by the configured CA → admitted; by another CA → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: leaf.keyPem, cert: leaf.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(configFor(leaf, { caCertificates: [ca] }), signed, { clock })), "admitted");
    assert.equal(outcomeOf(await decide(configFor(leaf, { caCertificates: [otherCa] }), signed, { clock })), "Failed to authenticate WS-Security");
  });

  test("ca_certificates: a self-signed pinned certificate does not chain to the CA → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(configFor(partner, { caCertificates: [ca] }), signed, { clock })), "Failed to authenticate WS-Security");
  });

  test("SHA-1 digest and rsa-sha1 admitted only with allow_sha1", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, digest: "sha1", timestampSeconds: 300, clock });
    assert.equal(outcomeOf(await decide(configFor(partner), signed, { clock })), "Unable to verify signed request");
    assert.equal(outcomeOf(await decide(configFor(partner, { allowSha1: true }), signed, { clock })), "admitted");
  });
});
