/**
 * "Did you mean …?" for an unknown key: the valid keys at that place of the
 * schema, and the nearest one by edit distance. A key that belongs one level
 * deeper or higher (an indentation slip) is not guessed here: its own
 * "unknown key" names where it was found.
 */
import type { z } from "zod";
import type { ConfigPath } from "./yaml-source.js";

type AnySchema = z.core.$ZodType;

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, AnySchema>;
  readonly innerType?: AnySchema;
  readonly in?: AnySchema;
  readonly element?: AnySchema;
  readonly options?: readonly AnySchema[];
  readonly valueType?: AnySchema;
}

function defOf(schema: AnySchema): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** The object schemas reachable at `path` (several under a union). */
function objectsAt(schema: AnySchema, path: ConfigPath): SchemaDef[] {
  const def = defOf(schema);
  switch (def.type) {
    case "default":
    case "prefault":
    case "nullable":
    case "optional":
    case "readonly":
      return objectsAt(def.innerType!, path);
    case "pipe":
      return objectsAt(def.in!, path);
    case "union":
      return def.options!.flatMap((option) => objectsAt(option, path));
    case "array":
      return typeof path[0] === "number" ? objectsAt(def.element!, path.slice(1)) : [];
    case "record":
      return path.length > 0 ? objectsAt(def.valueType!, path.slice(1)) : [];
    case "object": {
      if (path.length === 0) return [def];
      const child = def.shape![String(path[0])];
      return child === undefined ? [] : objectsAt(child, path.slice(1));
    }
    default:
      return [];
  }
}

/** The valid keys of the mapping at `path`. */
export function knownKeysAt(schema: AnySchema, path: ConfigPath): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((def) => Object.keys(def.shape ?? {})))].sort();
}

/** The nearest valid key, when it is close enough to be a typo (or differs only in case, `-`/`_`). */
export function nearestKey(unknown: string, candidates: readonly string[]): string | undefined {
  const normalized = unknown.toLowerCase().replace(/-/g, "_");
  let best: { key: string; distance: number } | undefined;
  for (const key of candidates) {
    const distance = key === normalized ? 0 : editDistance(normalized, key);
    if (best === undefined || distance < best.distance) best = { key, distance };
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(1, Math.min(3, Math.floor(best.key.length / 3)));
  return best.distance <= allowed ? best.key : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}
