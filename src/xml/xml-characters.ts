/**
 * XML 1.0 allows only these characters (§2.2 Char), written raw or as a
 * character reference. @xmldom/xmldom accepts NUL, C0 controls and
 * references beyond U+10FFFF (which it turns into lone surrogates), so
 * they are refused here, before the parse: such text would otherwise be
 * stored, canonicalized and signed differently by other XML stacks.
 *
 * References are found by a plain pattern over the whole text, so a
 * CDATA section or comment that merely contains "&#0;" is refused too:
 * a false refusal, never a false admission.
 */
const ILLEGAL_RAW_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const CHARACTER_REFERENCE = /&#(?:x([0-9A-Fa-f]+)|([0-9]+));/g;

export function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

/** Why `text` holds a character XML forbids, or undefined when it holds none. */
export function findIllegalXmlCharacter(text: string): string | undefined {
  const raw = ILLEGAL_RAW_CHARACTER.exec(text);
  if (raw) return `character U+${raw[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML`;
  for (const match of text.matchAll(CHARACTER_REFERENCE)) {
    const digits = match[1] ?? match[2]!;
    const codePoint = digits.length > 8 ? Infinity : Number.parseInt(digits, match[1] !== undefined ? 16 : 10);
    if (!isXmlChar(codePoint)) return `character reference ${match[0].slice(0, 16)} is not an XML character`;
  }
  return undefined;
}
