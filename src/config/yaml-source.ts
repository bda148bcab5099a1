/**
 * Reads one YAML file of the configuration directory and keeps its syntax
 * tree, so that every problem found later can name the line of the key or
 * value it is about.
 */
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLError } from "yaml";

/** A path into a file's data, as zod reports it: keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

export interface YamlProblem {
  readonly path: ConfigPath;
  readonly line: number;
  readonly message: string;
}

export type YamlSource =
  | { readonly kind: "absent" }
  | { readonly kind: "unreadable"; readonly message: string }
  | { readonly kind: "invalid"; readonly problems: readonly YamlProblem[] }
  | { readonly kind: "parsed"; readonly data: unknown; readonly locate: (path: ConfigPath) => number };

export function readYamlSource(path: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "absent" };
    return { kind: "unreadable", message: `cannot read file (${code ?? "error"})` };
  }
  return parseYamlSource(text);
}

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below, with their path, rather than by the parser.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, schema: "core" });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) return { kind: "invalid", problems: [firstSyntaxProblem(doc.errors, lineAt)] };
  const keyProblems = findKeyProblems(doc.contents, [], lineAt);
  if (keyProblems.length > 0) return { kind: "invalid", problems: keyProblems };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { kind: "invalid", problems: [{ path: [], line: 1, message: `YAML error: ${(error as Error).message}` }] };
  }
  return { kind: "parsed", data: data ?? {}, locate: (path) => lineAt(offsetOf(doc, path)) };
}

/** The parser's error codes that follow from a line indented deeper than its siblings. */
const OVER_INDENTED = new Set(["BLOCK_AS_IMPLICIT_KEY", "MULTILINE_IMPLICIT_KEY"]);

/**
 * One mistake, one problem: the parser reports a slip of indentation as two
 * or three errors, the first of them at the key above the slip. The first
 * error is kept; for an over-indented line, at the line where the implicit key
 * that swallowed it ends, which is the over-indented line itself.
 */
function firstSyntaxProblem(errors: readonly YAMLError[], lineAt: (offset: number) => number): YamlProblem {
  const first = errors[0]!;
  if (first.code === "BAD_INDENT") {
    return { path: [], line: lineAt(first.pos[0]), message: "YAML indentation error: all keys of a mapping must start at the same column" };
  }
  const multiline = errors.find((e) => e.code === "MULTILINE_IMPLICIT_KEY");
  if (OVER_INDENTED.has(first.code) && multiline !== undefined && lineAt(multiline.pos[1]) > lineAt(first.pos[0])) {
    return { path: [], line: lineAt(multiline.pos[1]), message: "YAML indentation error: this line is indented deeper than the key above it (a nested mapping needs a key ending in ':' above it)" };
  }
  return { path: [], line: lineAt(first.pos[0]), message: `YAML syntax error: ${first.message.split("\n")[0]}` };
}

/** Offset of the deepest node along `path` (a map entry's key, a list item), so a missing key points at its parent. */
function offsetOf(doc: Document, path: ConfigPath): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/**
 * Duplicate keys, and `__proto__`, which later plain-object handling would
 * silently drop or turn into a prototype.
 */
function findKeyProblems(node: unknown, path: ConfigPath, lineAt: (offset: number) => number): YamlProblem[] {
  const problems: YamlProblem[] = [];
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = keyText(pair.key);
      if (key === "__proto__") {
        problems.push({ path: [...path, key], line: lineAt(rangeStart(pair.key) ?? 0), message: "key __proto__ is not allowed" });
      } else if (seen.has(key)) {
        const what = path[path.length - 1] === "columns" ? "column" : "key";
        problems.push({ path: [...path, key], line: lineAt(rangeStart(pair.key) ?? 0), message: `duplicate ${what} "${key}"` });
      }
      seen.add(key);
      problems.push(...findKeyProblems(pair.value, [...path, key], lineAt));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => problems.push(...findKeyProblems(item, [...path, index], lineAt)));
  }
  return problems;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

/** `profiles[1].user_field`, `basic_auth.realm`. */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}
