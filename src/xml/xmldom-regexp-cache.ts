/**
 * Works around a performance bug of @xmldom/xmldom 0.9 (its parser is several
 * times slower than 0.8; upstream xmldom/xmldom#950): for every end tag, its
 * SAX parser builds a new RegExp from the Unicode QName grammar
 * (`grammar.reg("^", QName_group, S_OPT, "$")`, a `u`-flag pattern of
 * several hundred characters), and compiling it is a large share of a parse.
 *
 * `reg` is a pure function of its arguments (grammar constants and string
 * literals), and a RegExp without the g/y flags keeps no state between
 * `exec`/`test` calls, so the parser gets the very same pattern whether it is
 * compiled once or per tag. This module makes `reg` compile each distinct
 * argument list once. It changes nothing the parser accepts or refuses.
 * If a future xmldom no longer exposes `reg`, nothing is patched.
 */
import { createRequire } from "node:module";

type RegExpPart = RegExp | string;
interface XmldomGrammar {
  reg: (this: unknown, ...parts: RegExpPart[]) => RegExp;
  __wssGatewayRegCached?: true;
}

/** The distinct argument lists seen are a handful of grammar call sites; this only bounds a surprise. */
const MAX_CACHED_PATTERNS = 64;

export function installXmldomRegExpCache(): boolean {
  const grammar = createRequire(import.meta.url)("@xmldom/xmldom/lib/grammar.js") as XmldomGrammar;
  if (typeof grammar.reg !== "function") return false;
  if (grammar.__wssGatewayRegCached) return true;
  const compile = grammar.reg;
  const root = new Map<RegExpPart, PatternNode>();
  let cached = 0;
  grammar.reg = function cachedReg(this: unknown, ...parts: RegExpPart[]): RegExp {
    let level = root;
    let node: PatternNode | undefined;
    for (const part of parts) {
      node = level.get(part);
      if (!node) {
        node = { next: new Map(), pattern: undefined };
        level.set(part, node);
      }
      level = node.next;
    }
    if (node?.pattern) return node.pattern;
    const pattern = compile.apply(this, parts);
    if (node && !pattern.global && !pattern.sticky && cached < MAX_CACHED_PATTERNS) {
      node.pattern = pattern;
      cached++;
    }
    return pattern;
  };
  grammar.__wssGatewayRegCached = true;
  return true;
}

interface PatternNode {
  readonly next: Map<RegExpPart, PatternNode>;
  pattern: RegExp | undefined;
}
