/**
 * Byte-level mutations of a serialized XML document, for the verdict
 * differential: each edits the text of the document (no DOM, so the rest of
 * the bytes stay exactly as signed), at a position picked by numbers that
 * fast-check generates.
 *
 *   const mutant = applyMarkupMutation(signedXml, { kind: "reorder-attributes", target: 3 });
 *   // undefined when the document has nothing for the mutation to act on
 *
 * The tokenizer knows comments, CDATA sections, processing instructions,
 * start / end / empty-element tags (quoted attribute values may hold `>`)
 * and text; that is all a SOAP envelope holds.
 */
import fc from "fast-check";

type TokenKind = "start" | "end" | "empty" | "comment" | "cdata" | "pi" | "text";

interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
}

const TOKEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<\/[^>]*>|<(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+|</g;
const ATTRIBUTE = /(\s+)([^\s=/>]+)(\s*=\s*)("([^"]*)"|'([^']*)')/g;
/** One character of content: a reference, a surrogate pair or one code unit. */
const UNIT = /&#?[A-Za-z0-9]+;|[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g;
const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function tokenize(xml: string): Token[] {
  const tokens: Token[] = [];
  for (const match of xml.matchAll(TOKEN)) {
    const text = match[0];
    const start = match.index;
    let kind: TokenKind;
    if (text.startsWith("<!--")) kind = "comment";
    else if (text.startsWith("<![CDATA[")) kind = "cdata";
    else if (text.startsWith("<?")) kind = "pi";
    else if (text.startsWith("</")) kind = "end";
    else if (text.startsWith("<")) kind = text.endsWith("/>") ? "empty" : "start";
    else kind = "text";
    tokens.push({ kind, start, end: start + text.length });
  }
  return tokens;
}

/** Replacement characters for text and attribute values: plain, non-ASCII, references, white space. */
const CONTENT_PIECES = ["a", "Z", "7", " ", "\n", "\t", "é", "€", "&amp;", "&lt;", "&#65;", "&#x20AC;", "&#13;", "&#9;"];
/** Elements inserted between nodes: plain, namespaced, a comment, an empty CDATA section, a second SOAP Body. */
const ADDED_NODES = ["<extra/>", "<inc:extra>v</inc:extra>", '<p:x xmlns:p="urn:p">é</p:x>', "<!-- added -->", "<![CDATA[]]>", "<soapenv:Body/>"];
/** Namespace declarations added to a start tag: unused, default, undeclaring the default, rebinding used prefixes. */
const DECLARATIONS = [' xmlns:zz="urn:zz"', ' xmlns="urn:default"', ' xmlns=""', ' xmlns:inc="urn:other"', ' xmlns:wsu="urn:other"', ' xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'];
const WHITE_SPACE = [" ", "\n", "\t", "\r\n", "  \n  "];

export type UnitEdit = { readonly op: "replace" | "insert" | "delete" | "re-encode"; readonly at: number; readonly pick: number };

export type MarkupMutation =
  | { readonly kind: "edit-text"; readonly target: number; readonly edit: UnitEdit }
  | { readonly kind: "edit-attribute-value"; readonly target: number; readonly edit: UnitEdit }
  | { readonly kind: "add-node"; readonly at: number; readonly node: number }
  | { readonly kind: "remove-element"; readonly target: number }
  | { readonly kind: "add-namespace-declaration"; readonly target: number; readonly declaration: number }
  | { readonly kind: "reorder-attributes"; readonly target: number }
  | { readonly kind: "white-space"; readonly where: "in-start-tag" | "in-end-tag" | "between-nodes"; readonly target: number; readonly space: number }
  | { readonly kind: "edit-base64"; readonly element: "SignatureValue" | "DigestValue"; readonly target: number; readonly at: number; readonly pick: number };

const unitEdit = fc.record({ op: fc.constantFrom("replace", "insert", "delete", "re-encode"), at: fc.nat(), pick: fc.nat() }) as fc.Arbitrary<UnitEdit>;

export const markupMutation: fc.Arbitrary<MarkupMutation> = fc.oneof(
  fc.record({ kind: fc.constant("edit-text" as const), target: fc.nat(), edit: unitEdit }),
  fc.record({ kind: fc.constant("edit-attribute-value" as const), target: fc.nat(), edit: unitEdit }),
  fc.record({ kind: fc.constant("add-node" as const), at: fc.nat(), node: fc.nat() }),
  fc.record({ kind: fc.constant("remove-element" as const), target: fc.nat() }),
  fc.record({ kind: fc.constant("add-namespace-declaration" as const), target: fc.nat(), declaration: fc.nat() }),
  fc.record({ kind: fc.constant("reorder-attributes" as const), target: fc.nat() }),
  fc.record({ kind: fc.constant("white-space" as const), where: fc.constantFrom("in-start-tag", "in-end-tag", "between-nodes"), target: fc.nat(), space: fc.nat() }),
  fc.record({ kind: fc.constant("edit-base64" as const), element: fc.constantFrom("SignatureValue", "DigestValue"), target: fc.nat(), at: fc.nat(), pick: fc.nat() }),
);

const pick = <T>(items: readonly T[], index: number): T | undefined => (items.length === 0 ? undefined : items[index % items.length]);
const splice = (xml: string, start: number, end: number, insert: string) => xml.slice(0, start) + insert + xml.slice(end);

/** The mutant's bytes, or undefined when the mutation finds nothing to act on. */
export function applyMarkupMutation(xml: string, mutation: MarkupMutation): string | undefined {
  const tokens = tokenize(xml);
  const root = tokens.findIndex((token) => token.kind === "start");
  let rootEnd = tokens.length - 1;
  while (rootEnd >= 0 && tokens[rootEnd]!.kind !== "end") rootEnd--;
  // Tags strictly inside the document element, after which a node may be inserted.
  const inside = tokens.filter((token, index) => index >= root && index < rootEnd && token.kind !== "text");
  const startTags = tokens.filter((token) => token.kind === "start" || token.kind === "empty");
  switch (mutation.kind) {
    case "edit-text": {
      const text = pick(tokens.filter((token) => token.kind === "text"), mutation.target);
      return text && splice(xml, text.start, text.end, editUnits(xml.slice(text.start, text.end), mutation.edit, "text"));
    }
    case "edit-attribute-value": {
      const values = startTags.flatMap((tag) => attributesOf(xml, tag));
      const attribute = pick(values, mutation.target);
      return attribute && splice(xml, attribute.valueStart, attribute.valueEnd, editUnits(attribute.value, mutation.edit, attribute.quote));
    }
    case "add-node": {
      const after = pick(inside, mutation.at);
      return after && splice(xml, after.end, after.end, ADDED_NODES[mutation.node % ADDED_NODES.length]!);
    }
    case "remove-element": {
      const index = tokens.indexOf(pick(startTags.filter((tag) => tag !== tokens[root]), mutation.target)!);
      if (index < 0) return undefined;
      const start = tokens[index]!;
      if (start.kind === "empty") return splice(xml, start.start, start.end, "");
      let depth = 0;
      for (let i = index; i < tokens.length; i++) {
        if (tokens[i]!.kind === "start") depth++;
        else if (tokens[i]!.kind === "end" && --depth === 0) return splice(xml, start.start, tokens[i]!.end, "");
      }
      return undefined;
    }
    case "add-namespace-declaration": {
      const tag = pick(startTags, mutation.target);
      if (!tag) return undefined;
      const close = tag.end - (tag.kind === "empty" ? 2 : 1);
      return splice(xml, close, close, DECLARATIONS[mutation.declaration % DECLARATIONS.length]!);
    }
    case "reorder-attributes": {
      const tag = pick(startTags.filter((candidate) => attributesOf(xml, candidate).length >= 2), mutation.target);
      if (!tag) return undefined;
      const attributes = attributesOf(xml, tag);
      const first = attributes[0]!;
      const last = attributes[attributes.length - 1]!;
      const rotated = [...attributes.slice(1), first].map((attribute) => ` ${attribute.source.trimStart()}`).join("");
      return splice(xml, first.sourceStart, last.valueEnd + 1, rotated);
    }
    case "white-space": {
      const space = WHITE_SPACE[mutation.space % WHITE_SPACE.length]!;
      if (mutation.where === "between-nodes") {
        const after = pick(inside, mutation.target);
        return after && splice(xml, after.end, after.end, space);
      }
      const tag = pick(tokens.filter((token) => token.kind === (mutation.where === "in-end-tag" ? "end" : "start")), mutation.target);
      return tag && splice(xml, tag.end - 1, tag.end - 1, space);
    }
    case "edit-base64": {
      const contents = [...xml.matchAll(new RegExp(`<ds:${mutation.element}>([^<]*)</ds:${mutation.element}>`, "g"))];
      const content = pick(contents, mutation.target);
      if (!content) return undefined;
      const start = content.index + `<ds:${mutation.element}>`.length;
      const positions = [...content[1]!].flatMap((char, offset) => (BASE64_ALPHABET.includes(char) ? [offset] : []));
      const offset = pick(positions, mutation.at);
      if (offset === undefined) return undefined;
      const alphabet = BASE64_ALPHABET.replace(xml[start + offset]!, "");
      return splice(xml, start + offset, start + offset + 1, alphabet[mutation.pick % alphabet.length]!);
    }
    default: {
      const never: never = mutation;
      return never;
    }
  }
}

interface AttributeSpan {
  readonly source: string;
  readonly sourceStart: number;
  readonly value: string;
  readonly valueStart: number;
  readonly valueEnd: number;
  readonly quote: '"' | "'";
}

function attributesOf(xml: string, tag: Token): AttributeSpan[] {
  const text = xml.slice(tag.start, tag.end);
  return [...text.matchAll(ATTRIBUTE)].map((match) => {
    const quote = match[4]!.startsWith('"') ? '"' : "'";
    const valueStart = tag.start + match.index + match[1]!.length + match[2]!.length + match[3]!.length + 1;
    const value = match[5] ?? match[6] ?? "";
    return { source: match[0], sourceStart: tag.start + match.index, value, valueStart, valueEnd: valueStart + value.length, quote };
  });
}

/**
 * One edit of one content unit. "re-encode" writes the same character
 * differently (a character as a reference, a reference of a harmless
 * character as the character): the infoset does not change.
 */
function editUnits(content: string, edit: UnitEdit, context: "text" | '"' | "'"): string {
  const units = content.match(UNIT) ?? [];
  const piece = CONTENT_PIECES[edit.pick % CONTENT_PIECES.length]!;
  const at = units.length === 0 ? 0 : edit.at % units.length;
  switch (edit.op) {
    case "insert":
      units.splice(edit.at % (units.length + 1), 0, piece);
      break;
    case "replace":
      units.splice(at, units.length === 0 ? 0 : 1, piece);
      break;
    case "delete":
      units.splice(at, 1);
      break;
    case "re-encode":
      if (units.length === 0) return content;
      units[at] = reEncoded(units[at]!, context);
      break;
    default: {
      const never: never = edit.op;
      return never;
    }
  }
  return units.join("");
}

function reEncoded(unit: string, context: "text" | '"' | "'"): string {
  const reference = /^&#(x[0-9A-Fa-f]+|[0-9]+);$/.exec(unit);
  if (reference) {
    const codePoint = reference[1]!.startsWith("x") ? parseInt(reference[1]!.slice(1), 16) : parseInt(reference[1]!, 10);
    const char = String.fromCodePoint(codePoint);
    // Markup characters, and white space (normalized in attribute values, CR in text), stay references.
    return /[<&>"'\s]/.test(char) || (context === "text" && char === "\r") ? unit : char;
  }
  if (unit.startsWith("&")) return unit;
  return `&#x${unit.codePointAt(0)!.toString(16).toUpperCase()};`;
}
