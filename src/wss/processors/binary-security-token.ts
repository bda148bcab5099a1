/**
 * Processor: reads a `wsse:BinarySecurityToken` of our Security header. Only
 * X509v3 certificates (Base64Binary) are supported. The certificate is not
 * parsed here: a token is only ever trusted by being byte-identical to a
 * configured certificate, so its DER bytes are all that is needed.
 */
import type { Element } from "../../xml/tree.js";
import { WSS_TYPES } from "../../xml/ns.js";
import { attribute, strictText } from "../../xml/navigate.js";
import type { ConfiguredCertificate } from "../../config/types.js";
import { decodeBase64Strict } from "../base64.js";

export type BinarySecurityTokenResult =
  | { readonly kind: "x509"; readonly der: Buffer }
  | { readonly kind: "unreadable"; readonly reason: string }
  | { readonly kind: "unsupported"; readonly reason: string };

/** `known`: the configured certificates (see `certificateDer`). */
export function readBinarySecurityToken(element: Element, known: ReadonlyMap<string, ConfiguredCertificate>): BinarySecurityTokenResult {
  const valueType = attribute(element, "ValueType");
  if (valueType !== WSS_TYPES.x509v3) {
    return { kind: "unsupported", reason: `BinarySecurityToken ValueType ${JSON.stringify((valueType ?? "(none)").slice(0, 100))} is not X509v3` };
  }
  const encodingType = attribute(element, "EncodingType");
  if (encodingType !== undefined && encodingType !== WSS_TYPES.base64Binary) {
    return { kind: "unsupported", reason: "BinarySecurityToken EncodingType is not Base64Binary" };
  }
  const text = strictText(element);
  const der = text === undefined ? undefined : certificateDer(text, known);
  if (!der) return { kind: "unreadable", reason: "BinarySecurityToken content is not base64 text" };
  return { kind: "x509", der };
}

/**
 * The DER bytes of a certificate given as base64 text, or undefined when the
 * text is not strict base64 (or empty). A text equal to a configured
 * certificate's base64 is that certificate's DER without decoding: the same
 * bytes that decoding would give, at a string comparison's cost.
 */
export function certificateDer(text: string, known: ReadonlyMap<string, ConfiguredCertificate>): Buffer | undefined {
  for (const certificate of known.values()) {
    if (certificate.derBase64.length === text.length && certificate.derBase64 === text) return certificate.der;
  }
  const der = decodeBase64Strict(text);
  return der && der.length > 0 ? der : undefined;
}
