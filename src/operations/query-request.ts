/**
 * The query part of getRecords, getKeys, deleteMultiple and aggregate:
 * column equality filters, `__encoded_query`, ordering and the row window.
 */
import type { TableDef } from "../config/types.js";
import { clientFault } from "../soap/faults.js";
import { findColumn, type Filter, type OrderTerm } from "../store/types.js";
import { requireReadable, type ColumnAccess } from "./access.js";
import { bindEncodedQuery, parseEncodedQuery } from "./encoded-query.js";
import { childText, refuseRepeats, type RequestChild } from "./request-elements.js";
import { parseColumnValue, quoteClientText } from "./values.js";

/** getRecords answers at most this many records unless `__limit` / `__last_row` says otherwise. */
export const DEFAULT_ROW_LIMIT = 250;
/** No request reads more records than this. */
export const MAX_ROW_LIMIT = 10_000;

export const QUERY_CONTROLS = [
  "__encoded_query",
  "__limit",
  "__first_row",
  "__last_row",
  "__order_by",
  "__order_by_desc",
] as const;
export type QueryControl = (typeof QUERY_CONTROLS)[number];

export interface QueryRequest {
  readonly filter: Filter;
  readonly orderBy: readonly OrderTerm[];
  readonly offset: number;
  readonly limit: number;
  /** Whether any filter or encoded-query condition was given. */
  readonly hasConditions: boolean;
}

export interface QueryContext {
  readonly operation: string;
  readonly table: TableDef;
  readonly access: ColumnAccess;
  /** The controls this operation accepts; others are refused. */
  readonly controls: readonly QueryControl[];
  readonly defaultLimit: number;
}

export function parseQueryRequest(children: readonly RequestChild[], context: QueryContext): QueryRequest {
  refuseRepeats(children);
  const { table, access } = context;
  const conditions: Filter[] = [];
  const controls = new Map<QueryControl, string>();
  for (const child of children) {
    const control = QUERY_CONTROLS.find((name) => name === child.name);
    if (control !== undefined) {
      if (!context.controls.includes(control)) {
        throw clientFault(`Field '${control}' is not accepted by ${context.operation}`);
      }
      controls.set(control, childText(child) ?? "");
      continue;
    }
    conditions.push(equalityFilter(child, table, access));
  }

  const encoded = controls.get("__encoded_query");
  const bound = encoded === undefined ? undefined : bindEncodedQuery(parseEncodedQuery(encoded, table), table, access);
  if (bound !== undefined && bound.hasConditions) conditions.push(bound.filter);

  const orderBy = [
    ...orderList(controls.get("__order_by"), "asc", "__order_by", table, access),
    ...orderList(controls.get("__order_by_desc"), "desc", "__order_by_desc", table, access),
    ...(bound?.orderBy ?? []),
  ];
  const filter: Filter =
    conditions.length === 0 ? { kind: "all" } : conditions.length === 1 ? conditions[0]! : { kind: "and", filters: conditions };
  return { filter, orderBy, ...rowWindow(controls, context.defaultLimit), hasConditions: conditions.length > 0 };
}

/** `<column>value</column>`: equal to the value; empty (or nil) means the column is empty. */
function equalityFilter(child: RequestChild, table: TableDef, access: ColumnAccess): Filter {
  const column = findColumn(table, child.name);
  if (column === undefined) throw unknownField(child.name, table);
  requireReadable(access, column.name);
  const text = childText(child);
  const value = text === null ? null : parseColumnValue(column, text);
  if (value === null || value === "") return { kind: "isEmpty", column: column.name };
  return { kind: "compare", column: column.name, op: "=", value };
}

function orderList(
  text: string | undefined,
  direction: "asc" | "desc",
  control: QueryControl,
  table: TableDef,
  access: ColumnAccess,
): OrderTerm[] {
  if (text === undefined || text.trim() === "") return [];
  return text.split(",").map((item) => {
    const name = item.trim();
    if (findColumn(table, name) === undefined) throw clientFault(`Unknown field ${quoteClientText(name)} in ${control}`);
    requireReadable(access, name);
    return { column: name, direction };
  });
}

function rowWindow(controls: ReadonlyMap<QueryControl, string>, defaultLimit: number): { offset: number; limit: number } {
  const limit = wholeNumber(controls, "__limit");
  const firstRow = wholeNumber(controls, "__first_row") ?? 0;
  const lastRow = wholeNumber(controls, "__last_row");
  if (lastRow !== undefined && lastRow < firstRow) throw clientFault("__last_row must not be less than __first_row");
  const span = lastRow === undefined ? undefined : lastRow - firstRow;
  if (span !== undefined && span > MAX_ROW_LIMIT) {
    throw clientFault(`__last_row - __first_row must be at most ${MAX_ROW_LIMIT}`);
  }
  if (limit !== undefined && limit > MAX_ROW_LIMIT) throw clientFault(`__limit must be at most ${MAX_ROW_LIMIT}`);
  const rows = Math.min(limit ?? Infinity, span ?? Infinity);
  return { offset: firstRow, limit: Number.isFinite(rows) ? rows : defaultLimit };
}

function wholeNumber(controls: ReadonlyMap<QueryControl, string>, control: QueryControl): number | undefined {
  const text = controls.get(control);
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(value)) {
    throw clientFault(`Invalid ${control} ${quoteClientText(trimmed)}: expected a whole number`);
  }
  return value;
}

export function unknownField(name: string, table: TableDef): Error {
  return clientFault(`Unknown field ${quoteClientText(name)} for table ${table.name}`);
}
