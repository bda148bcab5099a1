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
import { parseTree } from "./tree-parser.js";
import type { TreeDocument } from "./tree.js";
import { findIllegalXmlCharacter } from "./xml-characters.js";

export type ParseResult =
  | { readonly kind: "parsed"; readonly document: TreeDocument; readonly text: string }
  | { readonly kind: "refused"; readonly reason: string };

export interface XmlParser {
  parse(bytes: Buffer | string, limits: XmlLimits): ParseResult;
}

const BYTE_ORDER_MARK = 0xfeff;
const DECLARED_ENCODING = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

export function decodeUtf8Xml(bytes: Buffer | string): { kind: "text"; text: string } | { kind: "refused"; reason: string } {
  let text: string;
  if (typeof bytes === "string") text = bytes;
  // Validation and decoding are native and vectorized (TextDecoder's fatal mode was ~20% of a 1 MB request).
  else if (isAscii(bytes)) text = bytes.toString("latin1");
  else if (isUtf8(bytes)) {
    text = bytes.toString("utf8");
    if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
  } else return { kind: "refused", reason: "body is not valid UTF-8" };
  const declared = DECLARED_ENCODING.exec(text)?.[1];
  if (declared !== undefined && !/^utf-?8$/i.test(declared)) {
    return { kind: "refused", reason: `unsupported XML encoding ${declared.slice(0, 20)}` };
  }
  return { kind: "text", text };
}

class TreeParser implements XmlParser {
  parse(bytes: Buffer | string, limits: XmlLimits): ParseResult {
    const decoded = decodeUtf8Xml(bytes);
    if (decoded.kind === "refused") return decoded;
    const { text } = decoded;
    const asciiBytes = typeof bytes !== "string" && bytes.length === text.length ? bytes : undefined;
    const tree = parseTree(text, limits, asciiBytes);
    if (tree.kind === "parsed") {
      if (asciiBytes !== undefined) tree.document.asciiSource = asciiBytes;
      return { kind: "parsed", document: tree.document, text };
    }
    const scan = scanXmlLimits(text, limits);
    if (scan.kind === "refused") return scan;
    const illegal = findIllegalXmlCharacter(text);
    if (illegal !== undefined) return { kind: "refused", reason: illegal };
    return { kind: "refused", reason: `not well-formed XML: ${tree.reason}` };
  }
}

export const xmlParser: XmlParser = new TreeParser();
