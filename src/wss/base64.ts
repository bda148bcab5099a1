/** Strict base64 for the values of WS-Security tokens and XML signatures (DigestValue, SignatureValue, tokens). */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64: XML whitespace is dropped, then only the canonical alphabet with correct padding is accepted. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const compact = text.replace(/[ \t\r\n]+/g, "");
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, "base64");
}
