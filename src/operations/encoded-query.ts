/**
 * Encoded queries (SPEC §4): `field<op>value` terms joined by `^` (and) and
 * `^OR` (or), plus `ORDERBYfield` / `ORDERBYDESCfield`. As on the platform,
 * OR binds tighter than AND: `a=1^ORb=2^c=3` is (a=1 OR b=2) AND c=3. A
 * literal `^` inside a value is written `^^`.
 *
 * Parsing (text → EncodedQuery) checks the syntax and that every field
 * exists; binding (EncodedQuery → store Filter) checks readability and types.
 */
import type { TableDef } from "../config/types.js";
import { clientFault } from "../soap/faults.js";
import { findColumn, tableColumns, type Filter, type OrderTerm, type PresentValue } from "../store/types.js";
import { requireReadable, type ColumnAccess } from "./access.js";
import { parsePresentValue, quoteClientText } from "./values.js";

export const QUERY_OPERATORS = [
  "ISNOTEMPTY",
  "ISEMPTY",
  "STARTSWITH",
  "ENDSWITH",
  "LIKE",
  "IN",
  "!=",
  "<=",
  ">=",
  "=",
  "<",
  ">",
] as const;
export type QueryOperator = (typeof QUERY_OPERATORS)[number];

export const MAX_QUERY_TERMS = 200;
export const MAX_IN_VALUES = 1000;

export interface QueryTerm {
  readonly kind: "term";
  readonly field: string;
  readonly operator: QueryOperator;
  /** The raw value text ("" for ISEMPTY / ISNOTEMPTY). */
  readonly value: string;
}

/** Terms of which at least one must hold. */
export interface AnyOf {
  readonly kind: "anyOf";
  readonly terms: readonly QueryTerm[];
}

export interface EncodedQuery {
  readonly kind: "encodedQuery";
  /** Every group must hold (AND of ORs). */
  readonly where: readonly AnyOf[];
  readonly orderBy: readonly OrderTerm[];
}

export interface BoundQuery {
  readonly filter: Filter;
  readonly orderBy: readonly OrderTerm[];
  /** Whether the query has at least one condition (ordering alone does not count). */
  readonly hasConditions: boolean;
}

/** Parses the text of `__encoded_query` against the table's field names. */
export function parseEncodedQuery(text: string, table: TableDef): EncodedQuery {
  const fieldNames = tableColumns(table)
    .map((column) => column.name)
    .sort((a, b) => b.length - a.length);
  const where: { kind: "anyOf"; terms: QueryTerm[] }[] = [];
  const orderBy: OrderTerm[] = [];
  let termCount = 0;
  for (const segment of splitSegments(text)) {
    if (segment === "" || segment === "EQ") continue;
    if (segment.startsWith("ORDERBYDESC")) {
      orderBy.push({ column: orderField(segment.slice("ORDERBYDESC".length), table), direction: "desc" });
    } else if (segment.startsWith("ORDERBY")) {
      orderBy.push({ column: orderField(segment.slice("ORDERBY".length), table), direction: "asc" });
    } else if (segment.startsWith("NQ")) {
      throw clientFault("Encoded query operator '^NQ' is not supported");
    } else {
      termCount += 1;
      if (termCount > MAX_QUERY_TERMS) throw clientFault(`Encoded query has more than ${MAX_QUERY_TERMS} terms`);
      const isOr = segment.startsWith("OR");
      const last = where[where.length - 1];
      if (isOr && last !== undefined) last.terms.push(parseTerm(segment.slice(2), fieldNames));
      else if (isOr) throw clientFault(`Encoded query term ${quoteClientText(segment)} has no term before it to OR with`);
      else where.push({ kind: "anyOf", terms: [parseTerm(segment, fieldNames)] });
    }
  }
  return { kind: "encodedQuery", where, orderBy };
}

/** Type-checks the query against the table's columns and the caller's read access. */
export function bindEncodedQuery(query: EncodedQuery, table: TableDef, access: ColumnAccess): BoundQuery {
  const groups = query.where.map((group): Filter => {
    const filters = group.terms.map((term) => bindTerm(term, table, access));
    return filters.length === 1 ? filters[0]! : { kind: "or", filters };
  });
  for (const term of query.orderBy) requireReadable(access, term.column);
  const filter: Filter = groups.length === 0 ? { kind: "all" } : groups.length === 1 ? groups[0]! : { kind: "and", filters: groups };
  return { filter, orderBy: query.orderBy, hasConditions: groups.length > 0 };
}

/** Splits on `^`, reading `^^` as a literal `^`. */
function splitSegments(text: string): string[] {
  const segments: string[] = [];
  let current = "";
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char !== "^") current += char;
    else if (text[index + 1] === "^") {
      current += "^";
      index += 1;
    } else {
      segments.push(current);
      current = "";
    }
  }
  segments.push(current);
  return segments;
}

function orderField(name: string, table: TableDef): string {
  if (findColumn(table, name) === undefined) throw unknownField(name);
  return name;
}

function parseTerm(segment: string, fieldNames: readonly string[]): QueryTerm {
  for (const field of fieldNames) {
    if (!segment.startsWith(field)) continue;
    const rest = segment.slice(field.length);
    const operator = QUERY_OPERATORS.find((op) => rest.startsWith(op));
    if (operator !== undefined) return { kind: "term", field, operator, value: rest.slice(operator.length) };
  }
  const field = /^[a-z0-9_.]+/.exec(segment)?.[0];
  if (field !== undefined && fieldNames.includes(field)) {
    const rest = segment.slice(field.length);
    if (rest === "") throw clientFault(`Missing operator after field '${field}' in encoded query`);
    const operator = /^[A-Z]+/.exec(rest)?.[0] ?? /^[^A-Za-z0-9_\s]+/.exec(rest)?.[0] ?? rest;
    throw clientFault(`Unknown operator ${quoteClientText(operator)} after field '${field}' in encoded query`);
  }
  throw unknownField(field ?? /^[^=!<>]*/.exec(segment)?.[0] ?? segment);
}

function unknownField(name: string): Error {
  return clientFault(`Unknown field ${quoteClientText(name)} in encoded query`);
}

function bindTerm(term: QueryTerm, table: TableDef, access: ColumnAccess): Filter {
  const column = findColumn(table, term.field);
  if (column === undefined) throw unknownField(term.field);
  requireReadable(access, column.name);
  const value = term.value;
  switch (term.operator) {
    case "ISEMPTY":
    case "ISNOTEMPTY":
      if (value !== "") throw clientFault(`Operator ${term.operator} takes no value (field '${column.name}')`);
      return { kind: term.operator === "ISEMPTY" ? "isEmpty" : "isNotEmpty", column: column.name };
    case "=":
    case "!=":
      if (value === "") return { kind: term.operator === "=" ? "isEmpty" : "isNotEmpty", column: column.name };
      return { kind: "compare", column: column.name, op: term.operator, value: parsePresentValue(column, value) };
    case "<":
    case "<=":
    case ">":
    case ">=":
      return { kind: "compare", column: column.name, op: term.operator, value: parsePresentValue(column, value) };
    case "LIKE":
    case "STARTSWITH":
    case "ENDSWITH": {
      if (column.type !== "string") {
        throw clientFault(`Operator ${term.operator} needs a string field; '${column.name}' is ${column.type}`);
      }
      const match = term.operator === "LIKE" ? "contains" : term.operator === "STARTSWITH" ? "startsWith" : "endsWith";
      return { kind: "text", column: column.name, match, text: parsePresentValue(column, value) as string };
    }
    case "IN": {
      const items = value.split(",");
      if (items.length > MAX_IN_VALUES) {
        throw clientFault(`Operator IN takes at most ${MAX_IN_VALUES} values (field '${column.name}')`);
      }
      const values: PresentValue[] = items.map((item) => parsePresentValue(column, item));
      return { kind: "in", column: column.name, values };
    }
    default: {
      const unreachable: never = term.operator;
      throw new Error(`unknown operator ${String(unreachable)}`);
    }
  }
}
