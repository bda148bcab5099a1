/**
 * How the signature names its key (WSS X.509 Token Profile 1.0/1.1):
 * - bst: a BinarySecurityToken in the header, referenced by `#id` with ValueType X509v3;
 * - issuer-serial: SecurityTokenReference / ds:X509Data / ds:X509IssuerSerial;
 * - ski: SecurityTokenReference / KeyIdentifier X509SubjectKeyIdentifier;
 * - thumbprint: SecurityTokenReference / KeyIdentifier ThumbprintSHA1;
 * - x509data: ds:X509Data / ds:X509Certificate directly in ds:KeyInfo (plain XML-DSig).
 */
import type { Document, Element } from "@xmldom/xmldom";
import { NS, WSS_TYPES } from "../../xml/ns.js";
import { element } from "./dom-builder.js";
import { SignError } from "./sign-error.js";
import type { SignerCertificate } from "./signer-certificate.js";

export const KEY_REFERENCE_STYLES = ["bst", "issuer-serial", "ski", "thumbprint", "x509data"] as const;
export type KeyReferenceStyle = (typeof KEY_REFERENCE_STYLES)[number];

export function isKeyReferenceStyle(value: string): value is KeyReferenceStyle {
  return (KEY_REFERENCE_STYLES as readonly string[]).includes(value);
}

export function buildBinarySecurityToken(document: Document, id: string, certificate: SignerCertificate): Element {
  return element(
    document,
    NS.wsse,
    "wsse:BinarySecurityToken",
    { EncodingType: WSS_TYPES.base64Binary, ValueType: WSS_TYPES.x509v3, "wsu:Id": id },
    [certificate.der.toString("base64")],
  );
}

export type KeyInfoTarget =
  | { readonly kind: "bst"; readonly tokenId: string }
  | { readonly kind: "issuer-serial" | "ski" | "thumbprint" | "x509data" };

/** The ds:KeyInfo for `target`; `strId` is the wsu:Id given to the SecurityTokenReference. */
export function buildKeyInfo(
  document: Document,
  target: KeyInfoTarget,
  certificate: SignerCertificate,
  strId: string,
): Element {
  const securityTokenReference = (child: Element): Element =>
    element(document, NS.wsse, "wsse:SecurityTokenReference", { "wsu:Id": strId }, [child]);
  const keyIdentifier = (valueType: string, value: Buffer): Element =>
    element(document, NS.wsse, "wsse:KeyIdentifier", { EncodingType: WSS_TYPES.base64Binary, ValueType: valueType }, [
      value.toString("base64"),
    ]);

  let content: Element;
  switch (target.kind) {
    case "bst":
      content = securityTokenReference(
        element(document, NS.wsse, "wsse:Reference", { URI: `#${target.tokenId}`, ValueType: WSS_TYPES.x509v3 }),
      );
      break;
    case "issuer-serial":
      content = securityTokenReference(
        element(document, NS.ds, "ds:X509Data", {}, [
          element(document, NS.ds, "ds:X509IssuerSerial", {}, [
            element(document, NS.ds, "ds:X509IssuerName", {}, [certificate.issuerRfc2253]),
            element(document, NS.ds, "ds:X509SerialNumber", {}, [certificate.serialNumberDecimal]),
          ]),
        ]),
      );
      break;
    case "ski":
      if (certificate.subjectKeyIdentifier === undefined) {
        throw new SignError("the certificate has no SubjectKeyIdentifier extension: use another key reference");
      }
      content = securityTokenReference(keyIdentifier(WSS_TYPES.x509SubjectKeyIdentifier, certificate.subjectKeyIdentifier));
      break;
    case "thumbprint":
      content = securityTokenReference(keyIdentifier(WSS_TYPES.thumbprintSha1, certificate.thumbprintSha1));
      break;
    case "x509data":
      content = element(document, NS.ds, "ds:X509Data", {}, [
        element(document, NS.ds, "ds:X509Certificate", {}, [certificate.der.toString("base64")]),
      ]);
      break;
    default: {
      const unreachable: never = target;
      throw new SignError(`unknown key reference ${String(unreachable)}`);
    }
  }
  return element(document, NS.ds, "ds:KeyInfo", {}, [content]);
}
