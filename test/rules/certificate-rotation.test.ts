/**
 * Certificate rotation without downtime (SPEC §2 `certificates: [old.pem, new.pem]`):
 * during the overlap an x509 profile pins both certificates; a signature made
 * with either verifies, the outcome names which one (the audit line and the
 * metrics carry it), and any other certificate is still refused.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, wssConfig } from "../helpers/wss-config.js";
import { createHash, X509Certificate } from "node:crypto";

function fingerprint(certificate: TestCertificate): string {
  return createHash("sha256").update(new X509Certificate(certificate.certPem).raw).digest("hex");
}

describe("x509 profile with certificates: [old, new] during a rotation", () => {
  let oldCert: TestCertificate;
  let newCert: TestCertificate;
  let stranger: TestCertificate;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-rotation-"));
    oldCert = makeCertificate(dir, "old", { key: "rsa2048", subject: "/CN=partner.example", serialHex: "01" });
    newCert = makeCertificate(dir, "new", { key: "rsa2048", subject: "/CN=partner.example", serialHex: "02" });
    stranger = makeCertificate(dir, "stranger", { key: "rsa2048", subject: "/CN=partner.example", serialHex: "03" });
  });

  function rotatingConfig() {
    const profile = [
      '  - name: "Partner certificate"',
      "    type: x509",
      "    bind_session: true",
      "    run_as_user: partner.soap",
      "    certificates: [certs/old.pem, certs/new.pem]",
      "",
    ].join("\n");
    return wssConfig(
      { profiles: [profile], policies: [policyYaml(["Partner certificate"])] },
      { "certs/old.pem": oldCert.certPem, "certs/new.pem": newCert.certPem },
    );
  }

  for (const [label, which] of [["old", () => oldCert], ["new", () => newCert]] as const) {
    for (const keyReference of ["bst", "issuer-serial", "thumbprint"] as const) {
      test(`signed with the ${label} certificate (${keyReference}) → admitted, the outcome names the ${label} certificate`, async () => {
        const clock = new ManualClock();
        const signer = which();
        const signed = signEnvelope(SOAP11_ENVELOPE, { key: signer.keyPem, cert: signer.certPem, keyReference, timestampSeconds: 300, clock });
        const decision = await decide(rotatingConfig(), signed, { clock });
        assert.equal(outcomeOf(decision), "admitted");
        assert.equal(decision.kind, "admitted");
        const outcome = decision.profiles[0]!;
        assert.equal(outcome.kind, "passed");
        assert.equal(outcome.kind === "passed" ? outcome.certificate : undefined, fingerprint(signer));
        assert.match(outcome.reason, new RegExp(`configured certificate ${label}\\.pem \\(sha256 ${fingerprint(signer).slice(0, 16)}`));
      });
    }
  }

  test("signed with a third certificate of the same subject → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: stranger.keyPem, cert: stranger.certPem, keyReference: "bst", timestampSeconds: 300, clock });
    const decision = await decide(rotatingConfig(), signed, { clock });
    assert.equal(outcomeOf(decision), "Failed to authenticate WS-Security");
  });

  test("the new certificate's key under the old certificate's BinarySecurityToken → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: newCert.keyPem, cert: oldCert.certPem, keyReference: "bst", timestampSeconds: 300, clock });
    const decision = await decide(rotatingConfig(), signed, { clock });
    assert.equal(outcomeOf(decision), "Unable to verify signed request");
  });

  test("certificate and certificates together → a configuration problem at the profile", () => {
    assert.throws(
      () =>
        wssConfig(
          { profiles: ['  - name: P\n    type: x509\n    run_as_user: partner.soap\n    certificate: certs/old.pem\n    certificates: [certs/new.pem]\n'] },
          { "certs/old.pem": oldCert.certPem, "certs/new.pem": newCert.certPem },
        ),
      /profiles\.yaml:6: profiles\[0\]\.certificates: give either certificate or certificates, not both/,
    );
  });
});
