/**
 * Character classes of XML 1.0 (fifth edition) and Namespaces in XML 1.0 as
 * lookup tables over UTF-16 code units, so the parser classifies each unit
 * with one array read. Built once at module load.
 */

/** Classes of a unit in character data, attribute values, comments and CDATA. 0 = nothing to do. */
export const ILLEGAL = 1;
export const CR = 2;
export const LT = 3;
export const AMP = 4;
export const BRACKET = 5;
export const HIGH_SURROGATE = 6;
/** Tab or line feed in an attribute value (normalized to a space). */
export const WS = 7;
export const QUOTE = 8;
/** `>` in text: legal, but canonical XML writes it as `&gt;` (so the source is not canonical there). */
export const GT = 9;

/** Text content: `<` ends it, `&` starts a reference, `]` may start a forbidden `]]>`. */
export const TEXT_CLASS = new Uint8Array(0x10000);
/** Attribute values: also tab and line feed (normalized) and both quote characters. */
export const ATTRIBUTE_CLASS = new Uint8Array(0x10000);
/** Comments and CDATA sections: only legality and line ends matter. */
export const DATA_CLASS = new Uint8Array(0x10000);

for (const table of [TEXT_CLASS, ATTRIBUTE_CLASS, DATA_CLASS]) {
  for (let c = 0; c < 0x20; c++) if (c !== 0x9 && c !== 0xa) table[c] = ILLEGAL;
  table[0xd] = CR;
  for (let c = 0xd800; c <= 0xdbff; c++) table[c] = HIGH_SURROGATE;
  for (let c = 0xdc00; c <= 0xdfff; c++) table[c] = ILLEGAL; // a low surrogate without its high one
  table[0xfffe] = ILLEGAL;
  table[0xffff] = ILLEGAL;
}
TEXT_CLASS[0x3c] = LT;
TEXT_CLASS[0x26] = AMP;
TEXT_CLASS[0x5d] = BRACKET;
TEXT_CLASS[0x3e] = GT;
ATTRIBUTE_CLASS[0x3c] = LT;
ATTRIBUTE_CLASS[0x26] = AMP;
ATTRIBUTE_CLASS[0x9] = WS;
ATTRIBUTE_CLASS[0xa] = WS;
ATTRIBUTE_CLASS[0x22] = QUOTE;
ATTRIBUTE_CLASS[0x27] = QUOTE;

/** Name characters: NAME_START may begin a name, NAME_CHAR only continue one. The colon is COLON. */
export const NAME_START = 1;
export const NAME_CHAR = 2;
export const COLON = 3;
/** A high surrogate of a supplementary-plane name character (U+10000–U+EFFFF); its low surrogate must follow. */
export const NAME_HIGH_SURROGATE = 4;

export const NAME_CLASS = new Uint8Array(0x10000);

const NAME_START_RANGES: readonly (readonly [number, number])[] = [
  [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a], [0xc0, 0xd6], [0xd8, 0xf6], [0xf8, 0x2ff], [0x370, 0x37d],
  [0x37f, 0x1fff], [0x200c, 0x200d], [0x2070, 0x218f], [0x2c00, 0x2fef], [0x3001, 0xd7ff], [0xf900, 0xfdcf], [0xfdf0, 0xfffd],
];
const NAME_CHAR_RANGES: readonly (readonly [number, number])[] = [
  [0x2d, 0x2e], [0x30, 0x39], [0xb7, 0xb7], [0x300, 0x36f], [0x203f, 0x2040],
];
for (const [from, to] of NAME_START_RANGES) NAME_CLASS.fill(NAME_START, from, to + 1);
for (const [from, to] of NAME_CHAR_RANGES) NAME_CLASS.fill(NAME_CHAR, from, to + 1);
NAME_CLASS[0x3a] = COLON;
// U+10000–U+EFFFF are name start characters: high surrogates D800–DB7F.
NAME_CLASS.fill(NAME_HIGH_SURROGATE, 0xd800, 0xdb7f + 1);

/** XML white space (S): space, tab, line feed, carriage return. */
export function isXmlWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x9 || c === 0xa || c === 0xd;
}
