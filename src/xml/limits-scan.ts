/**
 * A single linear pass over the raw XML text that refuses what must never
 * reach the DOM parser: DOCTYPE / entity declarations (XXE, billion laughs),
 * processing instructions (SOAP forbids them in a message; only the XML
 * declaration at the very start is allowed) and documents over the
 * configured depth, element or attribute limits.
 * It runs before any tree is built, so a hostile body costs one scan of at
 * most `maxBodyBytes` characters and no allocation per element.
 */
export interface XmlLimits {
  readonly maxXmlDepth: number;
  readonly maxXmlElements: number;
  readonly maxAttributesPerElement: number;
}

export type ScanResult = { readonly kind: "ok"; readonly elements: number } | { readonly kind: "refused"; readonly reason: string };

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const QUOTE = 0x22;
const APOS = 0x27;
const EQUALS = 0x3d;
const BOM = 0xfeff;

export function scanXmlLimits(text: string, limits: XmlLimits): ScanResult {
  let depth = 0;
  let elements = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const lt = text.indexOf("<", i);
    if (lt < 0) break;
    const next = text.charCodeAt(lt + 1);
    if (next === QUESTION) {
      const end = text.indexOf("?>", lt + 2);
      if (end < 0) return refused("unterminated processing instruction");
      if (!isXmlDeclaration(text, lt)) return refused("processing instruction (SOAP forbids them)");
      i = end + 2;
    } else if (next === BANG) {
      if (text.startsWith("<!--", lt)) {
        const end = text.indexOf("-->", lt + 4);
        if (end < 0) return refused("unterminated comment");
        i = end + 3;
      } else if (text.startsWith("<![CDATA[", lt)) {
        const end = text.indexOf("]]>", lt + 9);
        if (end < 0) return refused("unterminated CDATA section");
        i = end + 3;
      } else {
        return refused("DOCTYPE or entity declaration");
      }
    } else if (next === SLASH) {
      const end = text.indexOf(">", lt + 2);
      if (end < 0) return refused("unterminated end tag");
      depth--;
      if (depth < 0) return refused("end tag without a start tag");
      i = end + 1;
    } else {
      elements++;
      if (elements > limits.maxXmlElements) return refused(`more than ${limits.maxXmlElements} elements`);
      const tag = scanStartTag(text, lt + 1, limits.maxAttributesPerElement);
      if (tag.kind === "refused") return tag;
      if (!tag.selfClosing) {
        depth++;
        if (depth > limits.maxXmlDepth) return refused(`nesting deeper than ${limits.maxXmlDepth}`);
      }
      i = tag.end;
    }
  }
  return { kind: "ok", elements };
}

/**
 * `<?xml` followed by white space, at the very start of the document (after a
 * byte order mark, if any): the XML declaration, which is not a processing
 * instruction. `<?xml-stylesheet …?>`, `<?XML …?>` or a declaration anywhere
 * else are processing instructions.
 */
function isXmlDeclaration(text: string, lt: number): boolean {
  const start = text.charCodeAt(0) === BOM ? 1 : 0;
  if (lt !== start || !text.startsWith("<?xml", lt)) return false;
  const after = text.charCodeAt(lt + 5);
  return after === 0x20 || after === 0x09 || after === 0x0a || after === 0x0d;
}

type StartTag = { kind: "tag"; end: number; selfClosing: boolean } | { kind: "refused"; reason: string };

/** Reads a start tag from just after `<` to just after `>`, counting attributes and skipping quoted values. */
function scanStartTag(text: string, from: number, maxAttributes: number): StartTag {
  let attributes = 0;
  let quote = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
      else if (c === LT) return refused("'<' inside an attribute value");
      continue;
    }
    if (c === QUOTE || c === APOS) quote = c;
    else if (c === EQUALS) {
      attributes++;
      if (attributes > maxAttributes) return refused(`more than ${maxAttributes} attributes on one element`);
    } else if (c === GT) {
      return { kind: "tag", end: i + 1, selfClosing: text.charCodeAt(i - 1) === SLASH };
    } else if (c === LT) return refused("malformed start tag");
  }
  return refused("unterminated start tag");
}

function refused(reason: string): { kind: "refused"; reason: string } {
  return { kind: "refused", reason };
}
