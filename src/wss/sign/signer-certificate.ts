/**
 * What a signer needs to know about its own certificate to reference it in
 * KeyInfo: DER bytes, issuer name in RFC 2253 form, decimal serial number,
 * SubjectKeyIdentifier and SHA-1 thumbprint. Works for RSA and EC
 * certificates alike (forge's certificate parser is RSA-only, so the DER is
 * walked with its generic ASN.1 reader).
 */
import { createHash, X509Certificate } from "node:crypto";
import forge from "node-forge";
import { SignError } from "./sign-error.js";

export interface SignerCertificate {
  readonly der: Buffer;
  /** RFC 2253: most specific RDN first, e.g. `CN=partner,O=Example,C=US`. */
  readonly issuerRfc2253: string;
  readonly serialNumberDecimal: string;
  readonly subjectKeyIdentifier: Buffer | undefined;
  readonly thumbprintSha1: Buffer;
}

const SUBJECT_KEY_IDENTIFIER_OID = "2.5.29.14";

/** Short names RFC 2253 (and Java's X500Principal) print; any other attribute is printed as OID=#hex. */
const ATTRIBUTE_SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
};

export function readSignerCertificate(pemOrDer: string | Buffer): SignerCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pemOrDer);
  } catch {
    throw new SignError("the certificate is not a PEM or DER X.509 certificate");
  }
  const der = x509.raw;
  const tbs = childrenOf(forge.asn1.fromDer(forge.util.createBuffer(der.toString("binary"))))[0];
  const fields = childrenOf(tbs);
  // tbsCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki, extensions…
  const offset = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  return {
    der,
    issuerRfc2253: rfc2253Name(fields[offset + 2]),
    serialNumberDecimal: BigInt(`0x${x509.serialNumber}`).toString(10),
    subjectKeyIdentifier: subjectKeyIdentifierOf(fields),
    thumbprintSha1: createHash("sha1").update(der).digest(),
  };
}

function rfc2253Name(name: forge.asn1.Asn1 | undefined): string {
  const rdns = childrenOf(name).map((set) =>
    childrenOf(set)
      .map((typeAndValue) => {
        const [type, value] = childrenOf(typeAndValue);
        if (type === undefined || value === undefined) throw new SignError("the certificate issuer name is unreadable");
        const oid = forge.asn1.derToOid(type.value as string);
        const shortName = ATTRIBUTE_SHORT_NAMES[oid];
        if (shortName === undefined) {
          const valueDer = forge.asn1.toDer(value).getBytes();
          return `${oid}=#${Buffer.from(valueDer, "binary").toString("hex")}`;
        }
        return `${shortName}=${escapeRfc2253(decodeDirectoryString(value))}`;
      })
      .join("+"),
  );
  return rdns.reverse().join(",");
}

function decodeDirectoryString(value: forge.asn1.Asn1): string {
  const bytes = Buffer.from(value.value as string, "binary");
  if (value.type === forge.asn1.Type.BMPSTRING) return bytes.swap16().toString("utf16le");
  if (value.type === forge.asn1.Type.UTF8) return bytes.toString("utf8");
  return bytes.toString("latin1");
}

function escapeRfc2253(value: string): string {
  return value
    .replace(/[,+"\\<>;]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
}

function subjectKeyIdentifierOf(tbsFields: forge.asn1.Asn1[]): Buffer | undefined {
  const wrapper = tbsFields.find((node) => node.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && node.type === 3);
  for (const extension of childrenOf(childrenOf(wrapper)[0])) {
    const [oid, ...rest] = childrenOf(extension);
    if (oid === undefined || forge.asn1.derToOid(oid.value as string) !== SUBJECT_KEY_IDENTIFIER_OID) continue;
    const extnValue = rest[rest.length - 1];
    if (extnValue === undefined || typeof extnValue.value !== "string") return undefined;
    const keyIdentifier = forge.asn1.fromDer(extnValue.value);
    return typeof keyIdentifier.value === "string" ? Buffer.from(keyIdentifier.value, "binary") : undefined;
  }
  return undefined;
}

function childrenOf(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  return node !== undefined && Array.isArray(node.value) ? node.value : [];
}
