/**
 * Rule: the key that verifies a signature is always a configured (pinned)
 * certificate's key — never one taken from the message. The signature's
 * KeyInfo only *identifies* a certificate, in any of the WSS X.509 token
 * profile styles; each identifier must name the pinned certificate:
 *
 * - STR → wsse:Reference to a BinarySecurityToken of our Security header:
 *   the token's bytes must equal the pinned certificate's DER;
 * - STR → wsse:KeyIdentifier: X509SubjectKeyIdentifier, ThumbprintSHA1 (or X509v3 bytes);
 * - ds:X509Data (in the KeyInfo or in an STR): X509IssuerSerial,
 *   X509Certificate, X509SKI;
 * - no KeyInfo: the pinned certificate.
 *
 * Unreadable or ambiguous references → token missing; unknown kinds → unsupported.
 */
import type { Element } from "../../xml/tree.js";
import type { ConfiguredCertificate } from "../../config/types.js";
import { attribute, childrenNamed, elementChildren, strictText } from "../../xml/navigate.js";
import { NS, WSS_TYPES } from "../../xml/ns.js";
import { base64Content } from "../base64.js";
import { certificateDer, readBinarySecurityToken } from "../processors/binary-security-token.js";
import type { SecurityHeader } from "../security-header.js";
import { issuerNameMatches } from "./issuer-name.js";

export type CertificateIdentifier =
  | { readonly kind: "certificate-bytes"; readonly der: Buffer }
  | { readonly kind: "subject-key-identifier"; readonly value: Buffer }
  | { readonly kind: "thumbprint-sha1"; readonly value: Buffer }
  | { readonly kind: "issuer-serial"; readonly issuer: string; readonly serial: bigint };

export type KeyReference =
  | { readonly kind: "none" }
  | { readonly kind: "identified"; readonly style: string; readonly identifiers: readonly CertificateIdentifier[] }
  | { readonly kind: "unreadable"; readonly reason: string }
  | { readonly kind: "unsupported"; readonly reason: string };

/**
 * `known` are the configured certificates: a certificate carried in the
 * message as exactly one's base64 text is read as that one's DER, without
 * decoding (the bytes are the same; any other text is decoded strictly).
 */
export function readKeyReference(
  keyInfo: Element | undefined,
  header: SecurityHeader,
  elementsById: ReadonlyMap<string, Element>,
  known: ReadonlyMap<string, ConfiguredCertificate>,
): KeyReference {
  if (!keyInfo) return { kind: "none" };
  const children = elementChildren(keyInfo);
  if (children.length !== 1) return unreadable(`ds:KeyInfo holds ${children.length} elements, expected one`);
  const child = children[0]!;
  if (is(child, NS.wsse, "SecurityTokenReference")) return readSecurityTokenReference(child, header, elementsById, known);
  if (is(child, NS.ds, "X509Data")) return readX509Data(child, "ds:X509Data", known);
  return unsupported(`key reference ${child.localName} is not supported`);
}

export type CertificateMatch = { readonly kind: "match" } | { readonly kind: "mismatch"; readonly reason: string };

/** Every identifier must name `certificate`. */
export function matchCertificate(reference: KeyReference & { kind: "identified" | "none" }, certificate: ConfiguredCertificate): CertificateMatch {
  if (reference.kind === "none") return { kind: "match" };
  for (const identifier of reference.identifiers) {
    const reason = mismatchReason(identifier, certificate);
    if (reason) return { kind: "mismatch", reason: `${reference.style}: ${reason}` };
  }
  return { kind: "match" };
}

function mismatchReason(identifier: CertificateIdentifier, certificate: ConfiguredCertificate): string | undefined {
  switch (identifier.kind) {
    case "certificate-bytes":
      return identifier.der.equals(certificate.der) ? undefined : "the certificate in the message is not the configured certificate";
    case "subject-key-identifier":
      return certificate.subjectKeyIdentifier?.equals(identifier.value) ? undefined : "SubjectKeyIdentifier does not match the configured certificate";
    case "thumbprint-sha1":
      return identifier.value.equals(certificate.thumbprintSha1) ? undefined : "ThumbprintSHA1 does not match the configured certificate";
    case "issuer-serial":
      if (identifier.serial !== BigInt(certificate.serialNumberDecimal)) return "serial number does not match the configured certificate";
      return issuerNameMatches(identifier.issuer, certificate) ? undefined : "issuer name does not match the configured certificate";
    default: {
      const never: never = identifier;
      return `unknown identifier ${String(never)}`;
    }
  }
}

function readSecurityTokenReference(
  reference: Element,
  header: SecurityHeader,
  elementsById: ReadonlyMap<string, Element>,
  known: ReadonlyMap<string, ConfiguredCertificate>,
): KeyReference {
  const children = elementChildren(reference);
  if (children.length !== 1) return unreadable(`wsse:SecurityTokenReference holds ${children.length} elements, expected one`);
  const child = children[0]!;
  if (is(child, NS.wsse, "Reference")) return readDirectReference(child, header, elementsById, known);
  if (is(child, NS.wsse, "KeyIdentifier")) return readKeyIdentifier(child);
  if (is(child, NS.ds, "X509Data")) return readX509Data(child, "STR/ds:X509Data", known);
  return unsupported(`SecurityTokenReference child ${child.localName} is not supported`);
}

function readDirectReference(
  reference: Element,
  header: SecurityHeader,
  elementsById: ReadonlyMap<string, Element>,
  known: ReadonlyMap<string, ConfiguredCertificate>,
): KeyReference {
  const valueType = attribute(reference, "ValueType");
  if (valueType !== undefined && valueType !== WSS_TYPES.x509v3) return unsupported("STR Reference ValueType is not X509v3");
  const uri = attribute(reference, "URI") ?? "";
  if (!uri.startsWith("#") || uri.length < 2) return unreadable("STR Reference URI is not a same-document #id");
  const target = elementsById.get(uri.slice(1));
  if (!target) return unreadable("STR Reference points at no element");
  if (!header.binarySecurityTokens.includes(target)) {
    if (target.namespaceURI === NS.wsse && target.localName !== "BinarySecurityToken") {
      return unsupported(`STR Reference points at a ${target.localName}, not an X.509 token`);
    }
    return unreadable("STR Reference does not point at a BinarySecurityToken of this Security header");
  }
  const token = readBinarySecurityToken(target, known);
  if (token.kind !== "x509") return token;
  return { kind: "identified", style: "STR Reference to BinarySecurityToken", identifiers: [{ kind: "certificate-bytes", der: token.der }] };
}

function readKeyIdentifier(keyIdentifier: Element): KeyReference {
  const encodingType = attribute(keyIdentifier, "EncodingType");
  if (encodingType !== undefined && encodingType !== WSS_TYPES.base64Binary) return unsupported("KeyIdentifier EncodingType is not Base64Binary");
  const value = base64Content(keyIdentifier);
  if (!value) return unreadable("KeyIdentifier is not base64 text");
  switch (attribute(keyIdentifier, "ValueType")) {
    case WSS_TYPES.x509SubjectKeyIdentifier:
      return { kind: "identified", style: "KeyIdentifier X509SubjectKeyIdentifier", identifiers: [{ kind: "subject-key-identifier", value }] };
    case WSS_TYPES.thumbprintSha1:
      return { kind: "identified", style: "KeyIdentifier ThumbprintSHA1", identifiers: [{ kind: "thumbprint-sha1", value }] };
    case WSS_TYPES.x509v3:
      return { kind: "identified", style: "KeyIdentifier X509v3", identifiers: [{ kind: "certificate-bytes", der: value }] };
    default:
      return unsupported("KeyIdentifier ValueType is not supported");
  }
}

function readX509Data(x509Data: Element, style: string, known: ReadonlyMap<string, ConfiguredCertificate>): KeyReference {
  const identifiers: CertificateIdentifier[] = [];
  let ignored = 0;
  for (const child of elementChildren(x509Data)) {
    if (is(child, NS.ds, "X509Certificate")) {
      const text = strictText(child);
      const der = text === undefined ? undefined : certificateDer(text, known);
      if (!der) return unreadable("ds:X509Certificate is not base64 text");
      identifiers.push({ kind: "certificate-bytes", der });
    } else if (is(child, NS.ds, "X509SKI")) {
      const value = base64Content(child);
      if (!value) return unreadable("ds:X509SKI is not base64 text");
      identifiers.push({ kind: "subject-key-identifier", value });
    } else if (is(child, NS.ds, "X509IssuerSerial")) {
      if (isEmptyIssuerSerial(child)) {
        // zeep sends an empty X509IssuerSerial next to the X509Certificate: it names nothing.
        ignored++;
        continue;
      }
      const issuerSerial = readIssuerSerial(child);
      if (issuerSerial.kind === "unreadable") return issuerSerial;
      identifiers.push(issuerSerial);
    } else if (child.namespaceURI === NS.ds && (child.localName === "X509SubjectName" || child.localName === "X509CRL")) {
      ignored++;
    } else {
      return unsupported(`X509Data child ${child.localName} is not supported`);
    }
  }
  if (identifiers.length === 0) {
    return ignored > 0 ? unsupported("X509Data names no certificate by a supported identifier") : unreadable("X509Data is empty");
  }
  const kinds = [...new Set(identifiers.map((identifier) => identifier.kind))].join("+");
  return { kind: "identified", style: `${style} (${kinds})`, identifiers };
}

function readIssuerSerial(issuerSerial: Element): (CertificateIdentifier & { kind: "issuer-serial" }) | { kind: "unreadable"; reason: string } {
  const names = childrenNamed(issuerSerial, NS.ds, "X509IssuerName");
  const serials = childrenNamed(issuerSerial, NS.ds, "X509SerialNumber");
  if (names.length !== 1 || serials.length !== 1 || elementChildren(issuerSerial).length !== 2) {
    return unreadable("X509IssuerSerial needs one X509IssuerName and one X509SerialNumber");
  }
  const issuer = strictText(names[0]!);
  const serialText = strictText(serials[0]!)?.trim();
  if (issuer === undefined || issuer.trim() === "" || serialText === undefined || !/^\d{1,100}$/.test(serialText)) {
    return unreadable("X509IssuerSerial is not readable");
  }
  return { kind: "issuer-serial", issuer, serial: BigInt(serialText) };
}

function isEmptyIssuerSerial(issuerSerial: Element): boolean {
  return elementChildren(issuerSerial).every((child) => (strictText(child) ?? "x").trim() === "");
}

function is(element: Element, namespace: string, localName: string): boolean {
  return element.namespaceURI === namespace && element.localName === localName;
}

function unreadable(reason: string): KeyReference & { kind: "unreadable" } {
  return { kind: "unreadable", reason };
}

function unsupported(reason: string): KeyReference & { kind: "unsupported" } {
  return { kind: "unsupported", reason };
}
