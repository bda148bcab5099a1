/**
 * The one XML parse of a request. Everything downstream (WS-Security, the
 * operation) works on this one tree: nothing parses the bytes a second time.
 *
 * Bytes are validated and decoded as UTF-8 natively (`isAscii`/`isUtf8`;
 * invalid UTF-8 and a declared encoding other than UTF-8 are refused), then `tree-parser.ts` checks and builds the compact
 * read-only tree of `tree.ts` in one pass, limits included. A refusal is
 * explained in the order the checks were always reported in: the limits
 * pre-scan's reason (`limits-scan.ts`: DOCTYPE, processing instruction,
 * depth, element and attribute counts, ...), then an illegal character,
 * then the parser's own. That costs the extra scans on refusals only.
 */
import { isAscii, isUtf8 } from "node:buffer";
import { scanXmlLimits, type XmlLimits } from "./limits-scan.js";
import { SourceText } from "./source-text.js";
import { parseTree } from "./tree-parser.js";
import type { TreeDocument } from "./tree.js";
import { findIllegalXmlCharacter } from "./xml-characters.js";

type Refused = { readonly kind: "refused"; readonly reason: string };

export type ParseResult = { readonly kind: "parsed"; readonly document: TreeDocument } | Refused;

export interface XmlParser {
  parse(bytes: Buffer | string, limits: XmlLimits): ParseResult;
}

const UTF8_BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);
const GREATER_THAN = 0x3e;
const DECLARED_ENCODING = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

/**
 * The request's text, decoded (see source-text.ts), and its bytes when they
 * are all ASCII (an offset into the text is then an offset into them); or
 * why it is refused: invalid UTF-8, or a declared encoding other than UTF-8.
 */
export function decodeXmlSource(bytes: Buffer | string): { readonly kind: "source"; readonly source: SourceText; readonly asciiBytes: Buffer | undefined } | Refused {
  let source: SourceText;
  let asciiBytes: Buffer | undefined;
  let declaration: string;
  if (typeof bytes === "string") {
    source = SourceText.of(bytes);
    declaration = bytes;
  } else {
    // Validation and decoding are native and vectorized (TextDecoder's fatal mode was ~20% of a 1 MB request).
    const ascii = isAscii(bytes);
    if (!ascii && !isUtf8(bytes)) return { kind: "refused", reason: "body is not valid UTF-8" };
    const from = !ascii && bytes.subarray(0, 3).equals(UTF8_BYTE_ORDER_MARK) ? 3 : 0;
    source = ascii ? SourceText.fromAscii(bytes) : SourceText.fromUtf8(bytes, from);
    if (ascii) asciiBytes = bytes;
    if (source.pieces().length === 1) declaration = source.toString();
    else {
      // A declaration holds no `>` before its end, so a declared encoding is read from the text before the first `>`.
      const close = bytes.indexOf(GREATER_THAN, from);
      declaration = bytes.toString(ascii ? "latin1" : "utf8", from, close < 0 ? bytes.length : close);
    }
  }
  const declared = DECLARED_ENCODING.exec(declaration)?.[1];
  if (declared !== undefined && !/^utf-?8$/i.test(declared)) {
    return { kind: "refused", reason: `unsupported XML encoding ${declared.slice(0, 20)}` };
  }
  return { kind: "source", source, asciiBytes };
}

/** The request's text as one string (decoded as `decodeXmlSource` decodes it), for the parsers that take one. */
export function decodeUtf8Xml(bytes: Buffer | string): { kind: "text"; text: string } | Refused {
  const decoded = decodeXmlSource(bytes);
  if (decoded.kind === "refused") return decoded;
  return { kind: "text", text: decoded.source.toString() };
}

class TreeParser implements XmlParser {
  parse(bytes: Buffer | string, limits: XmlLimits): ParseResult {
    const decoded = decodeXmlSource(bytes);
    if (decoded.kind === "refused") return decoded;
    const { source, asciiBytes } = decoded;
    const tree = parseTree(source, limits, asciiBytes);
    if (tree.kind === "parsed") {
      if (asciiBytes !== undefined) tree.document.asciiSource = asciiBytes;
      return { kind: "parsed", document: tree.document };
    }
    const text = source.toString();
    const scan = scanXmlLimits(text, limits);
    if (scan.kind === "refused") return scan;
    const illegal = findIllegalXmlCharacter(text);
    if (illegal !== undefined) return { kind: "refused", reason: illegal };
    return { kind: "refused", reason: `not well-formed XML: ${tree.reason}` };
  }
}

export const xmlParser: XmlParser = new TreeParser();
