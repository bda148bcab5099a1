/**
 * Real certificates for tests, made by the openssl command line:
 *
 *   const cert = makeCertificate(dir, "partner", { key: "rsa2048" });
 *   // cert.certPath, cert.keyPath (PEM files in dir), cert.certPem, cert.keyPem
 *
 * Self-signed through `openssl ca -selfsign` so that the validity window and
 * the serial number can be chosen (an expired certificate, a known serial).
 * The certificate carries a subjectKeyIdentifier (hash method).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type TestKeyKind = "rsa2048" | "rsa1024" | "ec-p256";

export interface CertificateOptions {
  readonly key: TestKeyKind;
  /** Default `/CN=<name>`. */
  readonly subject?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Hex, default a fixed value derived from nothing secret. */
  readonly serialHex?: string;
}

export interface TestCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const KEY_ARGS: Readonly<Record<TestKeyKind, readonly string[]>> = {
  rsa2048: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  rsa1024: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
  "ec-p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
};

const DAY_MS = 24 * 60 * 60 * 1000;

export function makeCertificate(dir: string, name: string, options: CertificateOptions): TestCertificate {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  const certPath = join(dir, `${name}.pem`);
  const caConfigPath = join(dir, `${name}.ca.cnf`);
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY_MS);

  openssl(["genpkey", ...KEY_ARGS[options.key], "-out", keyPath]);
  openssl(["req", "-new", "-key", keyPath, "-subj", options.subject ?? `/CN=${name}`, "-out", csrPath]);
  writeFileSync(join(dir, `${name}.index.txt`), "");
  writeFileSync(join(dir, `${name}.serial.txt`), `${options.serialHex ?? "1001"}\n`);
  writeFileSync(
    caConfigPath,
    [
      "[ca]",
      "default_ca = test_ca",
      "[test_ca]",
      `database = ${join(dir, `${name}.index.txt`)}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, `${name}.serial.txt`)}`,
      "default_md = sha256",
      "policy = any_subject",
      "unique_subject = no",
      "x509_extensions = extensions",
      "[any_subject]",
      "commonName = supplied",
      "organizationName = optional",
      "countryName = optional",
      "[extensions]",
      "subjectKeyIdentifier = hash",
      "basicConstraints = CA:true",
      "",
    ].join("\n"),
  );
  openssl([
    "ca", "-config", caConfigPath, "-selfsign", "-keyfile", keyPath, "-in", csrPath,
    "-startdate", opensslDate(notBefore), "-enddate", opensslDate(notAfter),
    "-batch", "-notext", "-out", certPath,
  ]);
  return { certPath, keyPath, certPem: readFileSync(certPath, "utf8"), keyPem: readFileSync(keyPath, "utf8") };
}

function opensslDate(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}

function openssl(args: readonly string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}
