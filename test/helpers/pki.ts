/**
 * A small PKI for WS-Security tests, made with the openssl command line:
 * self-signed certificates (via makeCertificate) and leaf certificates
 * issued by a test CA.
 *
 *   const ca = makeCertificate(dir, "ca", { key: "rsa2048" });
 *   const leaf = makeIssuedCertificate(dir, "leaf", ca, { key: "rsa2048" });
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestCertificate, TestKeyKind } from "./openssl-certificate.js";

const KEY_ARGS: Readonly<Record<TestKeyKind, readonly string[]>> = {
  rsa2048: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  rsa1024: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
  "ec-p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
};

export function makeIssuedCertificate(
  dir: string,
  name: string,
  issuer: TestCertificate,
  options: { readonly key: TestKeyKind; readonly subject?: string; readonly days?: number; readonly subjectAltName?: string },
): TestCertificate {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  const certPath = join(dir, `${name}.pem`);
  const extPath = join(dir, `${name}.ext`);
  const san = options.subjectAltName ? `subjectAltName = ${options.subjectAltName}\n` : "";
  writeFileSync(extPath, `subjectKeyIdentifier = hash\nbasicConstraints = CA:false\n${san}`);
  openssl(["genpkey", ...KEY_ARGS[options.key], "-out", keyPath]);
  openssl(["req", "-new", "-key", keyPath, "-subj", options.subject ?? `/CN=${name}`, "-out", csrPath]);
  openssl([
    "x509", "-req", "-in", csrPath, "-CA", issuer.certPath, "-CAkey", issuer.keyPath, "-set_serial", "4242",
    "-days", String(options.days ?? 30), "-sha256", "-extfile", extPath, "-out", certPath,
  ]);
  return { certPath, keyPath, certPem: readFileSync(certPath, "utf8"), keyPem: readFileSync(keyPath, "utf8") };
}

function openssl(args: readonly string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}
