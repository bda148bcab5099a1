/**
 * Rule support: does an X509IssuerName from the message name the issuer of
 * a configured certificate? Distinguished names are written in many ways
 * (RFC 2253 order or certificate order, "E" or "emailAddress", spaces after
 * commas, escapes), so both sides are reduced to the same set of
 * (attribute OID, normalized value) pairs and compared as sets of RDNs.
 */
import forge from "node-forge";
import type { ConfiguredCertificate } from "../../config/types.js";

/** One RDN: its attribute=value pairs, sorted, joined with "+". */
type NormalizedRdn = string;

const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  cn: "2.5.4.3",
  commonname: "2.5.4.3",
  sn: "2.5.4.4",
  surname: "2.5.4.4",
  serialnumber: "2.5.4.5",
  c: "2.5.4.6",
  countryname: "2.5.4.6",
  l: "2.5.4.7",
  localityname: "2.5.4.7",
  s: "2.5.4.8",
  st: "2.5.4.8",
  stateorprovincename: "2.5.4.8",
  street: "2.5.4.9",
  streetaddress: "2.5.4.9",
  o: "2.5.4.10",
  organizationname: "2.5.4.10",
  ou: "2.5.4.11",
  organizationalunitname: "2.5.4.11",
  title: "2.5.4.12",
  givenname: "2.5.4.42",
  g: "2.5.4.42",
  dc: "0.9.2342.19200300.100.1.25",
  domaincomponent: "0.9.2342.19200300.100.1.25",
  uid: "0.9.2342.19200300.100.1.1",
  userid: "0.9.2342.19200300.100.1.1",
  e: "1.2.840.113549.1.9.1",
  email: "1.2.840.113549.1.9.1",
  emailaddress: "1.2.840.113549.1.9.1",
};

/** Whether the DN text names the certificate's issuer. Unparseable text never matches. */
export function issuerNameMatches(dnText: string, certificate: ConfiguredCertificate): boolean {
  const fromMessage = parseDistinguishedName(dnText);
  if (!fromMessage) return false;
  const fromCertificate = certificateIssuerRdns(certificate);
  if (!fromCertificate || fromCertificate.length !== fromMessage.length) return false;
  const a = [...fromMessage].sort();
  const b = [...fromCertificate].sort();
  return a.every((rdn, i) => rdn === b[i]);
}

/** RFC 4514 / 2253 DN text → normalized RDNs; undefined when malformed. */
export function parseDistinguishedName(text: string): NormalizedRdn[] | undefined {
  const rdns: NormalizedRdn[] = [];
  let pairs: string[] = [];
  let i = 0;
  const input = text.trim();
  if (input === "") return [];
  while (i < input.length) {
    const equals = input.indexOf("=", i);
    if (equals < 0) return undefined;
    const type = attributeOid(input.slice(i, equals).trim());
    if (!type) return undefined;
    i = equals + 1;
    let value = "";
    let quoted = false;
    while (i < input.length && input[i] === " ") i++;
    if (input[i] === '"') {
      quoted = true;
      i++;
    }
    for (; i < input.length; i++) {
      const c = input[i]!;
      if (c === "\\") {
        const hex = /^[0-9A-Fa-f]{2}/.exec(input.slice(i + 1, i + 3));
        if (hex) {
          value += String.fromCharCode(parseInt(hex[0], 16));
          i += 2;
        } else {
          value += input[i + 1] ?? "";
          i++;
        }
      } else if (quoted && c === '"') {
        quoted = false;
      } else if (!quoted && (c === "," || c === ";" || c === "+")) {
        break;
      } else {
        value += c;
      }
    }
    if (quoted) return undefined;
    pairs.push(`${type}=${normalizeValue(decodeUtf8Escapes(value))}`);
    const separator = input[i];
    i++;
    if (separator !== "+") {
      rdns.push(pairs.sort().join("+"));
      pairs = [];
    }
  }
  if (pairs.length > 0) rdns.push(pairs.sort().join("+"));
  return rdns;
}

const issuerCache = new WeakMap<ConfiguredCertificate, NormalizedRdn[] | undefined>();

/** The issuer RDNs of a configured certificate, read from its DER once and remembered. */
function certificateIssuerRdns(certificate: ConfiguredCertificate): NormalizedRdn[] | undefined {
  if (issuerCache.has(certificate)) return issuerCache.get(certificate);
  let rdns: NormalizedRdn[] | undefined;
  try {
    rdns = readIssuerRdns(certificate.der);
  } catch {
    rdns = undefined;
  }
  issuerCache.set(certificate, rdns);
  return rdns;
}

function readIssuerRdns(der: Buffer): NormalizedRdn[] {
  const asn1 = forge.asn1;
  const certificate = asn1.fromDer(forge.util.createBuffer(der.toString("binary")));
  const tbs = (certificate.value as forge.asn1.Asn1[])[0]!;
  const fields = tbs.value as forge.asn1.Asn1[];
  const hasVersion = fields[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC;
  const issuer = fields[hasVersion ? 3 : 2]!;
  return (issuer.value as forge.asn1.Asn1[]).map((set) =>
    (set.value as forge.asn1.Asn1[])
      .map((typeAndValue) => {
        const [oid, value] = typeAndValue.value as forge.asn1.Asn1[];
        const type = asn1.derToOid(oid!.value as string);
        return `${type}=${normalizeValue(decodeAsn1String(value!))}`;
      })
      .sort()
      .join("+"),
  );
}

function decodeAsn1String(value: forge.asn1.Asn1): string {
  const bytes = value.value as string;
  if (value.type === forge.asn1.Type.UTF8) return forge.util.decodeUtf8(bytes);
  if (value.type === forge.asn1.Type.BMPSTRING) {
    let text = "";
    for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode((bytes.charCodeAt(i) << 8) | bytes.charCodeAt(i + 1));
    return text;
  }
  return bytes;
}

function attributeOid(type: string): string | undefined {
  if (/^\d+(\.\d+)+$/.test(type)) return type;
  if (/^oid\.\d+(\.\d+)+$/i.test(type)) return type.slice(4);
  return ATTRIBUTE_OIDS[type.toLowerCase()];
}

/** Hex escapes produce bytes; read them back as UTF-8 when they form valid UTF-8. */
function decodeUtf8Escapes(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(value, "latin1"));
  } catch {
    return value;
  }
}

/** caseIgnoreMatch with insignificant spaces removed. */
function normalizeValue(value: string): string {
  return value.trim().replace(/\s+/g, " ").toLowerCase();
}
