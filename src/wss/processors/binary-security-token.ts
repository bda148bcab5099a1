/**
 * Processor: reads a `wsse:BinarySecurityToken` of our Security header. Only
 * X509v3 certificates (Base64Binary) are supported. The certificate is not
 * parsed here: a token is only ever trusted by being byte-identical to a
 * configured certificate, so its DER bytes are all that is needed.
 */
import type { Element } from "../../xml/tree.js";
import { WSS_TYPES } from "../../xml/ns.js";
import { attribute, strictText } from "../../xml/navigate.js";
import { decodeBase64Strict } from "../base64.js";

export type BinarySecurityTokenResult =
  | { readonly kind: "x509"; readonly der: Buffer }
  | { readonly kind: "unreadable"; readonly reason: string }
  | { readonly kind: "unsupported"; readonly reason: string };

export function readBinarySecurityToken(element: Element): BinarySecurityTokenResult {
  const valueType = attribute(element, "ValueType");
  if (valueType !== WSS_TYPES.x509v3) {
    return { kind: "unsupported", reason: `BinarySecurityToken ValueType ${JSON.stringify((valueType ?? "(none)").slice(0, 100))} is not X509v3` };
  }
  const encodingType = attribute(element, "EncodingType");
  if (encodingType !== undefined && encodingType !== WSS_TYPES.base64Binary) {
    return { kind: "unsupported", reason: "BinarySecurityToken EncodingType is not Base64Binary" };
  }
  const text = strictText(element);
  const der = text === undefined ? undefined : decodeBase64Strict(text);
  if (!der || der.length === 0) return { kind: "unreadable", reason: "BinarySecurityToken content is not base64 text" };
  return { kind: "x509", der };
}
