import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { CertificateError, parseCertificateFile, parseCertificatePem } from "../../src/certs/certificate.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

/** What openssl itself says about a certificate, to compare the parser against. */
function opensslField(certPath: string, ...args: string[]): string {
  return execFileSync("openssl", ["x509", "-in", certPath, "-noout", ...args], { encoding: "utf8" }).trim();
}

function opensslFingerprint(certPath: string, digest: "sha1" | "sha256"): string {
  return opensslField(certPath, "-fingerprint", `-${digest}`).split("=")[1]!.replace(/:/g, "").toLowerCase();
}

function opensslSubjectKeyIdentifier(certPath: string): string {
  const text = opensslField(certPath, "-ext", "subjectKeyIdentifier");
  return text.split("\n")[1]!.trim().replace(/:/g, "").toLowerCase();
}

describe("certificate parsing", () => {
  let dir: string;
  let rsa2048: TestCertificate;
  let rsa1024: TestCertificate;
  let ecP256: TestCertificate;
  let expired: TestCertificate;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wss-gateway-certs-"));
    rsa2048 = makeCertificate(dir, "rsa2048", {
      key: "rsa2048",
      subject: "/C=NL/O=Partner Org/CN=partner.example",
      serialHex: "0123456789ABCDEF01",
    });
    rsa1024 = makeCertificate(dir, "rsa1024", { key: "rsa1024" });
    ecP256 = makeCertificate(dir, "ecp256", { key: "ec-p256", serialHex: "7F" });
    expired = makeCertificate(dir, "expired", {
      key: "rsa2048",
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
  });

  test("RSA 2048 certificate: every field matches what openssl reports", () => {
    const cert = parseCertificateFile(rsa2048.certPath);
    assert.equal(cert.path, rsa2048.certPath);
    assert.equal(cert.keyType, "rsa");
    assert.equal(cert.keyBits, 2048);
    assert.equal(cert.fingerprintSha256, opensslFingerprint(rsa2048.certPath, "sha256"));
    assert.equal(cert.thumbprintSha1.toString("hex"), opensslFingerprint(rsa2048.certPath, "sha1"));
    assert.equal(cert.subjectKeyIdentifier?.toString("hex"), opensslSubjectKeyIdentifier(rsa2048.certPath));
    // 0x0123456789ABCDEF01 in decimal, the form of ds:X509SerialNumber.
    assert.equal(cert.serialNumberDecimal, "20988295479420645121");
    assert.equal(cert.serialNumberDecimal, BigInt("0x0123456789ABCDEF01").toString());
    assert.equal(cert.subject, "CN=partner.example, O=Partner Org, C=NL");
    assert.equal(cert.issuer, cert.subject);
    const derFromPem = Buffer.from(rsa2048.certPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    assert.deepEqual(cert.der, derFromPem);
    assert.equal(cert.publicKey.asymmetricKeyType, "rsa");
    assert.equal(cert.x509.subject, "CN=partner.example\nO=Partner Org\nC=NL");
  });

  test("RSA 1024 certificate reports keyBits 1024 (so min_rsa_key_bits can refuse it)", () => {
    const cert = parseCertificateFile(rsa1024.certPath);
    assert.equal(cert.keyType, "rsa");
    assert.equal(cert.keyBits, 1024);
  });

  test("EC P-256 certificate: keyType ec, keyBits 256, SKI and small serial", () => {
    const cert = parseCertificateFile(ecP256.certPath);
    assert.equal(cert.keyType, "ec");
    assert.equal(cert.keyBits, 256);
    assert.equal(cert.serialNumberDecimal, "127");
    assert.equal(cert.subjectKeyIdentifier?.toString("hex"), opensslSubjectKeyIdentifier(ecP256.certPath));
    assert.equal(cert.fingerprintSha256, opensslFingerprint(ecP256.certPath, "sha256"));
  });

  test("expired certificate parses with its real validity window (check_validity decides later)", () => {
    const cert = parseCertificateFile(expired.certPath);
    assert.equal(cert.notBefore.toISOString(), "2020-01-01T00:00:00.000Z");
    assert.equal(cert.notAfter.toISOString(), "2021-01-01T00:00:00.000Z");
  });

  test("DER bytes parse to the same certificate as the PEM", () => {
    const derPath = join(dir, "rsa2048.der");
    execFileSync("openssl", ["x509", "-in", rsa2048.certPath, "-outform", "DER", "-out", derPath]);
    const fromDer = parseCertificateFile(derPath);
    const fromPem = parseCertificatePem(rsa2048.certPem, "inline.pem");
    assert.equal(fromDer.fingerprintSha256, fromPem.fingerprintSha256);
    assert.equal(fromPem.path, "inline.pem");
  });

  test("a certificate without subjectKeyIdentifier has subjectKeyIdentifier undefined", () => {
    const path = join(dir, "no-ski.pem");
    execFileSync("openssl", [
      "req", "-x509", "-key", rsa2048.keyPath, "-subj", "/CN=no-ski", "-days", "1",
      "-addext", "subjectKeyIdentifier=none", "-out", path,
    ]);
    assert.doesNotMatch(opensslField(path, "-text"), /Subject Key Identifier/);
    assert.equal(parseCertificateFile(path).subjectKeyIdentifier, undefined);
  });

  test("PEM with a private key before the certificate still yields the certificate", () => {
    const path = join(dir, "key-and-cert.pem");
    writeFileSync(path, rsa2048.keyPem + rsa2048.certPem);
    assert.equal(parseCertificateFile(path).fingerprintSha256, opensslFingerprint(rsa2048.certPath, "sha256"));
  });

  test("refusals: missing file, a private key only, garbage, two certificates in one file", () => {
    const refuse = (path: string, message: string) =>
      assert.throws(() => parseCertificateFile(path), (e: unknown) => e instanceof CertificateError && e.message === message);
    refuse(join(dir, "absent.pem"), "certificate file does not exist");
    refuse(rsa2048.keyPath, "not an X.509 certificate (no CERTIFICATE block)");
    const garbage = join(dir, "garbage.der");
    writeFileSync(garbage, Buffer.from("30820102not a certificate"));
    refuse(garbage, "not an X.509 certificate");
    const corruptPem = join(dir, "corrupt.pem");
    writeFileSync(corruptPem, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    refuse(corruptPem, "not an X.509 certificate");
    const two = join(dir, "two.pem");
    writeFileSync(two, readFileSync(rsa2048.certPath, "utf8") + readFileSync(ecP256.certPath, "utf8"));
    refuse(two, "holds 2 certificates; give one certificate per file");
    refuse(dir, "certificate file cannot be read (EISDIR)");
  });
});
