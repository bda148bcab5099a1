/**
 * Parses the certificates named by the configuration (pinned signer
 * certificates, CA certificates, client certificates) into
 * ConfiguredCertificate, once, when the configuration loads.
 */
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import forge from "node-forge";
import type { ConfiguredCertificate } from "../config/types.js";

export class CertificateError extends Error {
  override name = "CertificateError";
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g;
const SUBJECT_KEY_IDENTIFIER_OID = "2.5.29.14";

/** Bits of the EC curves node reports by name. */
const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  "P-256": 256,
  secp256k1: 256,
  secp384r1: 384,
  "P-384": 384,
  secp521r1: 521,
  "P-521": 521,
};

/** Reads a file holding exactly one certificate, PEM or DER. Throws CertificateError. */
export function parseCertificateFile(path: string): ConfiguredCertificate {
  const absolutePath = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolutePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CertificateError("certificate file does not exist");
    throw new CertificateError(`certificate file cannot be read (${code ?? "error"})`);
  }
  return parseCertificatePem(bytes, absolutePath);
}

/** Parses one certificate given as PEM text or DER bytes; `path` is recorded as its origin. */
export function parseCertificatePem(pemOrDer: string | Buffer, path: string): ConfiguredCertificate {
  const der = certificateDer(pemOrDer);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw new CertificateError("not an X.509 certificate");
  }
  const publicKey = x509.publicKey;
  return {
    path,
    x509,
    publicKey,
    der,
    derBase64: der.toString("base64"),
    fingerprintSha256: createHash("sha256").update(der).digest("hex"),
    thumbprintSha1: createHash("sha1").update(der).digest(),
    subjectKeyIdentifier: readSubjectKeyIdentifier(der),
    issuer: joinDistinguishedName(x509.issuer),
    serialNumberDecimal: BigInt(`0x${x509.serialNumber}`).toString(10),
    subject: joinDistinguishedName(x509.subject),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    keyType: publicKey.asymmetricKeyType ?? "unknown",
    keyBits: keyBitsOf(publicKey),
  };
}

function certificateDer(pemOrDer: string | Buffer): Buffer {
  const text = typeof pemOrDer === "string" ? pemOrDer : pemOrDer.toString("latin1");
  if (!text.includes("-----BEGIN")) {
    if (typeof pemOrDer === "string") throw new CertificateError("not an X.509 certificate");
    return pemOrDer;
  }
  const blocks = [...text.matchAll(PEM_CERTIFICATE)];
  if (blocks.length === 0) throw new CertificateError("not an X.509 certificate (no CERTIFICATE block)");
  if (blocks.length > 1) throw new CertificateError(`holds ${blocks.length} certificates; give one certificate per file`);
  return Buffer.from(blocks[0]![1]!.replace(/\s+/g, ""), "base64");
}

/** node prints a DN one attribute per line; keep node's order, joined with ", ". */
function joinDistinguishedName(nodeDn: string): string {
  return nodeDn.split("\n").filter((line) => line !== "").join(", ");
}

function keyBitsOf(publicKey: X509Certificate["publicKey"]): number {
  const details = publicKey.asymmetricKeyDetails;
  if (details?.modulusLength !== undefined) return details.modulusLength;
  if (details?.namedCurve !== undefined) return CURVE_BITS[details.namedCurve] ?? 0;
  if (publicKey.asymmetricKeyType === "ed25519") return 256;
  if (publicKey.asymmetricKeyType === "ed448") return 456;
  return 0;
}

/**
 * The keyIdentifier of the subjectKeyIdentifier extension. node's
 * X509Certificate does not expose extensions, and forge's certificate
 * parser only accepts RSA keys, so the DER is walked with forge's ASN.1 reader.
 */
function readSubjectKeyIdentifier(der: Buffer): Buffer | undefined {
  try {
    const certificate = forge.asn1.fromDer(forge.util.createBuffer(der.toString("binary")));
    const tbs = childrenOf(certificate)[0];
    const extensionsWrapper = childrenOf(tbs).find(
      (node) => node.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && node.type === 3,
    );
    const extensions = childrenOf(childrenOf(extensionsWrapper)[0]);
    for (const extension of extensions) {
      const [oid, ...rest] = childrenOf(extension);
      if (oid === undefined || forge.asn1.derToOid(oid.value as string) !== SUBJECT_KEY_IDENTIFIER_OID) continue;
      const extnValue = rest[rest.length - 1];
      if (extnValue === undefined || typeof extnValue.value !== "string") return undefined;
      const keyIdentifier = forge.asn1.fromDer(extnValue.value);
      if (keyIdentifier.type !== forge.asn1.Type.OCTETSTRING || typeof keyIdentifier.value !== "string") return undefined;
      return Buffer.from(keyIdentifier.value, "binary");
    }
  } catch {
    // A certificate node accepted but forge cannot walk simply has no usable SKI.
  }
  return undefined;
}

function childrenOf(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  return node !== undefined && Array.isArray(node.value) ? node.value : [];
}
