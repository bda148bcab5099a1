/** Strict base64 for the values of WS-Security tokens and XML signatures (DigestValue, SignatureValue, tokens). */
import type { Element } from "../xml/tree.js";
import { strictText } from "../xml/navigate.js";

/** Per byte: ALPHABET for the 64 bytes of the base64 alphabet (RFC 4648 §4), WHITESPACE for XML white space, 0 for every other byte (`=` included). */
const ALPHABET = 1;
const WHITESPACE = 2;
const BYTE_CLASS = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") BYTE_CLASS[c.charCodeAt(0)] = ALPHABET;
for (const c of " \t\r\n") BYTE_CLASS[c.charCodeAt(0)] = WHITESPACE;

const EQUALS = 0x3d;

/**
 * Strict base64: XML whitespace is dropped, then only the canonical alphabet
 * with correct padding is accepted (a multiple of 4 characters, at most two
 * `=` and only at the end).
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  // The check reads the text's UTF-8 bytes (any non-ASCII character becomes bytes outside the alphabet):
  // a loop over a Buffer is about twice as fast as charCodeAt, or a regular expression, over a slice of the request.
  switch (classify(Buffer.from(text, "utf8"))) {
    case "strict":
      return Buffer.from(text, "base64");
    case "whitespace": {
      const compact = text.replace(/[ \t\r\n]+/g, "");
      return classify(Buffer.from(compact, "utf8")) === "strict" ? Buffer.from(compact, "base64") : undefined;
    }
    default:
      return undefined;
  }
}

/** "whitespace" when the text holds XML white space (to be dropped first); else "strict" for whole quanta of the alphabet with padding only at the end. */
function classify(bytes: Uint8Array): "strict" | "whitespace" | "invalid" {
  const length = bytes.length;
  let end = length;
  if (length > 0 && bytes[length - 1] === EQUALS) end = bytes[length - 2] === EQUALS ? length - 2 : length - 1;
  let outsideAlphabet = false;
  for (let i = 0; i < end; i++) {
    const kind = BYTE_CLASS[bytes[i]!]!;
    if (kind === WHITESPACE) return "whitespace";
    if (kind !== ALPHABET) outsideAlphabet = true;
  }
  return !outsideAlphabet && length % 4 === 0 ? "strict" : "invalid";
}

/** The bytes of an element whose content is only text in strict base64, or undefined (other content, not base64, or empty). */
export function base64Content(element: Element): Buffer | undefined {
  const text = strictText(element);
  const value = text === undefined ? undefined : decodeBase64Strict(text);
  return value && value.length > 0 ? value : undefined;
}
