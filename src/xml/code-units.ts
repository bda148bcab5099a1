/**
 * The UTF-16 code units of the text being parsed, in a typed array the
 * parser's character loops read instead of `String.prototype.charCodeAt`:
 * a typed-array read is about half the cost of a `charCodeAt` in those
 * loops (each `charCodeAt` re-checks the string's representation).
 *
 * The array is reused from parse to parse (a parse is synchronous, and the
 * tree keeps offsets into the string, never into this array), so a request
 * costs a copy, not fresh memory. After the text come `PADDING` zero units:
 * U+0000 is illegal in XML and no name, white space or delimiter, so a loop
 * that looks a few units past the end stops there as it would at the end;
 * code that may read further than that checks the length itself.
 */
import { endianness } from "node:os";
import type { SourceText } from "./source-text.js";

/** Zero units written after the text: more than the parser ever looks ahead (`&quot;` reads 5 past its `&`). */
export const PADDING = 8;

/** Arrays up to this many units are kept for the next parse; a larger one is made for its parse only. */
const MAX_KEPT_UNITS = 2 * 1024 * 1024;

const LITTLE_ENDIAN = endianness() === "LE";

let kept = new Uint16Array(64 * 1024);

/**
 * The code units of `text`, then PADDING zeros. `asciiBytes`, when given,
 * are the bytes `text` was decoded from, all ASCII (one unit per byte).
 * The array is valid until the next call.
 */
export function codeUnitsOf(text: SourceText, asciiBytes: Uint8Array | undefined): Uint16Array {
  const needed = text.length + PADDING;
  let units = kept;
  if (units.length < needed) {
    units = new Uint16Array(Math.max(needed, units.length * 2));
    if (units.length <= MAX_KEPT_UNITS) kept = units;
  }
  if (asciiBytes !== undefined && asciiBytes.length === text.length) units.set(asciiBytes);
  else {
    const bytes = Buffer.from(units.buffer, units.byteOffset, text.length * 2);
    let offset = 0;
    for (const piece of text.pieces()) {
      if (LITTLE_ENDIAN) bytes.write(piece, offset * 2, "utf16le");
      else for (let i = 0; i < piece.length; i++) units[offset + i] = piece.charCodeAt(i);
      offset += piece.length;
    }
  }
  units.fill(0, text.length, needed);
  return units;
}
