/** Strict base64 for the values of WS-Security tokens and XML signatures (DigestValue, SignatureValue, tokens). */

/** 1 for the 64 bytes of the base64 alphabet (RFC 4648 §4); every other byte, `=` included, is 0. */
const ALPHABET = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ALPHABET[c.charCodeAt(0)] = 1;

const EQUALS = 0x3d;

/**
 * Strict base64: XML whitespace is dropped, then only the canonical alphabet
 * with correct padding is accepted (a multiple of 4 characters, at most two
 * `=` and only at the end).
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  // The check reads the text's UTF-8 bytes (any non-ASCII character becomes bytes outside the alphabet):
  // a loop over a Buffer is about twice as fast as charCodeAt, or a regular expression, over a slice of the request.
  const bytes = Buffer.from(text, "utf8");
  if (hasXmlWhitespace(bytes)) {
    const compact = text.replace(/[ \t\r\n]+/g, "");
    return isStrictBase64(Buffer.from(compact, "utf8")) ? Buffer.from(compact, "base64") : undefined;
  }
  return isStrictBase64(bytes) ? Buffer.from(text, "base64") : undefined;
}

function isStrictBase64(bytes: Uint8Array): boolean {
  const length = bytes.length;
  if (length % 4 !== 0) return false;
  let end = length;
  if (length > 0 && bytes[length - 1] === EQUALS) end = bytes[length - 2] === EQUALS ? length - 2 : length - 1;
  for (let i = 0; i < end; i++) if (ALPHABET[bytes[i]!] === 0) return false;
  return true;
}

function hasXmlWhitespace(bytes: Buffer): boolean {
  return bytes.indexOf(0x20) >= 0 || bytes.indexOf(0x0a) >= 0 || bytes.indexOf(0x09) >= 0 || bytes.indexOf(0x0d) >= 0;
}
