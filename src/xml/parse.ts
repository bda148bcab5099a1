/**
 * The one XML parse of a request. Everything downstream (WS-Security, the
 * operation) works on this one tree: nothing parses the bytes a second time.
 * The parser sits behind `XmlParser` so that a faster implementation can
 * replace @xmldom/xmldom without touching the security rules.
 */
import { DOMParser, type Document } from "@xmldom/xmldom";
import { scanXmlLimits, type XmlLimits } from "./limits-scan.js";
import { findIllegalXmlCharacter } from "./xml-characters.js";
import { installXmldomRegExpCache } from "./xmldom-regexp-cache.js";

installXmldomRegExpCache();

export type ParseResult =
  | { readonly kind: "parsed"; readonly document: Document; readonly text: string }
  | { readonly kind: "refused"; readonly reason: string };

export interface XmlParser {
  parse(bytes: Buffer | string, limits: XmlLimits): ParseResult;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const DECLARED_ENCODING = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

export function decodeUtf8Xml(bytes: Buffer | string): { kind: "text"; text: string } | { kind: "refused"; reason: string } {
  let text: string;
  if (typeof bytes === "string") text = bytes;
  else {
    try {
      text = utf8.decode(bytes);
    } catch {
      return { kind: "refused", reason: "body is not valid UTF-8" };
    }
  }
  const declared = DECLARED_ENCODING.exec(text)?.[1];
  if (declared !== undefined && !/^utf-?8$/i.test(declared)) {
    return { kind: "refused", reason: `unsupported XML encoding ${declared.slice(0, 20)}` };
  }
  return { kind: "text", text };
}

class XmldomParser implements XmlParser {
  parse(bytes: Buffer | string, limits: XmlLimits): ParseResult {
    const decoded = decodeUtf8Xml(bytes);
    if (decoded.kind === "refused") return decoded;
    const { text } = decoded;
    const scan = scanXmlLimits(text, limits);
    if (scan.kind === "refused") return scan;
    const illegal = findIllegalXmlCharacter(text);
    if (illegal !== undefined) return { kind: "refused", reason: illegal };
    let problem: string | undefined;
    const parser = new DOMParser({
      locator: false,
      onError: (level, message) => {
        // xmldom's warnings are input it tolerates that XML forbids (unquoted or
        // valueless attributes, ...), except a U+FFFD, which is plain text.
        if (level === "warning" && String(message).startsWith("Unicode replacement character")) return;
        problem ??= String(message).split("\n")[0]!.slice(0, 200);
        throw new Error(problem);
      },
    });
    let document: Document;
    try {
      document = parser.parseFromString(text, "text/xml");
    } catch {
      return { kind: "refused", reason: `not well-formed XML: ${problem ?? "parse error"}` };
    }
    if (problem !== undefined || !document.documentElement) {
      return { kind: "refused", reason: `not well-formed XML: ${problem ?? "no root element"}` };
    }
    return { kind: "parsed", document, text };
  }
}

export const xmlParser: XmlParser = new XmldomParser();
