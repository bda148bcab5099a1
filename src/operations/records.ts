/** Records between requests, the store and responses. */
import { SYSTEM_COLUMN_DEFS, type ColumnDef, type TableDef } from "../config/types.js";
import { clientFault } from "../soap/faults.js";
import { findColumn, isSystemColumn, type Row, type StoredValue } from "../store/types.js";
import { isReadable, requireWritable, type ColumnAccess } from "./access.js";
import { unknownField } from "./query-request.js";
import { childText, refuseRepeats, type RequestChild } from "./request-elements.js";
import type { ResponseItem } from "./types.js";
import { formatStoredValue, parseColumnValue, parseSysId, quoteClientText } from "./values.js";

/** Column values a request sets, keyed by column name, in request order. */
export type Assignments = ReadonlyMap<string, { readonly column: ColumnDef; readonly value: StoredValue }>;

/**
 * The column values of an insert / update / record element: known,
 * non-system, given once, well-typed, and writable by the caller.
 */
export function parseAssignments(
  children: readonly RequestChild[],
  context: { readonly operation: string; readonly table: TableDef; readonly access: ColumnAccess },
): Assignments {
  refuseRepeats(children);
  const assignments = new Map<string, { column: ColumnDef; value: StoredValue }>();
  for (const child of children) {
    const column = findColumn(context.table, child.name);
    if (column === undefined) throw unknownField(child.name, context.table);
    if (isSystemColumn(column.name)) throw clientFault(`Field '${column.name}' is a system field and cannot be set`);
    const text = childText(child);
    assignments.set(column.name, { column, value: text === null ? null : parseColumnValue(column, text) });
  }
  requireWritable(
    context.access,
    [...assignments.values()].map((assignment) => assignment.column),
    { operation: context.operation, table: context.table.name },
  );
  return assignments;
}

/** The `sys_id` child of get / update / deleteRecord; other children are handled by the caller. */
export function takeSysId(children: readonly RequestChild[]): { sysId: string; rest: RequestChild[] } {
  refuseRepeats(children);
  const sysIdChild = children.find((child) => child.name === "sys_id");
  const sysId = parseSysId(sysIdChild === undefined ? undefined : (childText(sysIdChild) ?? ""));
  return { sysId, rest: children.filter((child) => child !== sysIdChild) };
}

/** Refuses any child: the operation takes nothing besides what the caller already took. */
export function refuseExtraChildren(children: readonly RequestChild[], operation: string, table: TableDef): void {
  const [extra] = children;
  if (extra === undefined) return;
  if (findColumn(table, extra.name) === undefined) throw unknownField(extra.name, table);
  throw clientFault(`Field ${quoteClientText(extra.name)} is not accepted by ${operation}`);
}

/** Columns in response order: sys_id, the configured columns, the other system columns. */
export function responseColumns(table: TableDef): readonly ColumnDef[] {
  const [sysId, ...otherSystem] = SYSTEM_COLUMN_DEFS;
  const configured = [...table.columns.values()].filter((column) => !isSystemColumn(column.name));
  return [sysId!, ...configured, ...otherSystem];
}

/** The readable columns of a record as response items. */
export function recordItems(table: TableDef, row: Row, access: ColumnAccess): ResponseItem[] {
  return readableItems(readableColumns(table, access), row);
}

/** The columns of `table` the caller may read, in response order: worked out once for every row of a response. */
export function readableColumns(table: TableDef, access: ColumnAccess): readonly ColumnDef[] {
  return responseColumns(table).filter((column) => isReadable(access, column.name));
}

/** The row's values of `columns` (from `readableColumns`) as response items; columns the row lacks are left out. */
export function readableItems(columns: readonly ColumnDef[], row: Row): ResponseItem[] {
  const items: ResponseItem[] = [];
  for (const column of columns) {
    if (row.has(column.name)) items.push({ name: column.name, value: formatStoredValue(row.get(column.name) ?? null) });
  }
  return items;
}
