/** Field-level access (SPEC §6 field ACLs) as the operations consult it. */
import type { ColumnDef } from "../config/types.js";
import { clientFault, SoapFault } from "../soap/faults.js";

export interface ColumnAccess {
  canRead(column: string): boolean;
  canWrite(column: string): boolean;
}

export const ALLOW_ALL_COLUMNS: ColumnAccess = Object.freeze({
  canRead: () => true,
  canWrite: () => true,
});

/**
 * `sys_id` is the record's identity: whoever may read the record may read
 * its key (getKeys and insert answer with it), so field rules cannot hide it.
 */
export function isReadable(access: ColumnAccess, column: string): boolean {
  return column === "sys_id" || access.canRead(column);
}

/** Refuses a query that filters, orders or groups on a column the caller may not read. */
export function requireReadable(access: ColumnAccess, column: string): void {
  if (!isReadable(access, column)) throw clientFault(`Field '${column}' is not readable`);
}

/** Refuses the whole request when one column it sets is not writable. */
export function requireWritable(
  access: ColumnAccess,
  columns: Iterable<ColumnDef>,
  context: { readonly operation: string; readonly table: string },
): void {
  for (const column of columns) {
    if (!access.canWrite(column.name)) throw new SoapFault("insufficientRights", context);
  }
}
