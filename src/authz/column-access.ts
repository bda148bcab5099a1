/**
 * Field-level access (SPEC §6): which columns an allowed operation may read
 * back and write, from the field rules of acls.yaml. Called only once the
 * role check and the record rule have passed.
 *
 * - Read operations: a column is readable unless its most specific field rule
 *   refuses the user; a column without a field rule follows the record rule.
 * - create/write operations: the same for writing, with the operation's own
 *   field rules. What the response echoes back is governed by the read rules
 *   (record and field), so a create-only user gets only `sys_id` back.
 * - delete: nothing is written. deleteMultiple filters on columns, and a
 *   count over a filter is a read, so filters follow the read rules as above.
 * - `sys_id` is the record's identity, not content: it is readable whenever
 *   the operation is allowed, writable whenever the record rule for a
 *   create/write passed, and field rules do not apply to it. The other
 *   system columns (sys_created_on, …) are ordinary columns for field rules.
 */
import type { AclOperation, AclRule, TableDef, UserAccount } from "../config/types.js";
import { SYSTEM_COLUMNS } from "../config/types.js";
import { evaluateFieldAcl, evaluateRecordAcl, hasFieldRules } from "./acl.js";
import type { ColumnAccess } from "./types.js";

export const SYS_ID = "sys_id";

/** Every column readable and writable: admin, and strict_security off. */
export const ALL_COLUMNS: ColumnAccess = Object.freeze({
  canRead: (_column: string) => true,
  canWrite: (_column: string) => true,
});

export interface ColumnAccessInput {
  readonly acls: readonly AclRule[];
  readonly table: TableDef;
  /** The ACL operation of the allowed request; its record rule has passed. */
  readonly operation: AclOperation;
  readonly user: UserAccount | undefined;
}

export function buildColumnAccess(input: ColumnAccessInput): { access: ColumnAccess; steps: string[] } {
  const { acls, table, operation, user } = input;
  const tableName = table.name;
  const columns = [...SYSTEM_COLUMNS.filter((c) => c !== SYS_ID), ...table.columns.keys()];
  const steps: string[] = [];

  const fieldAllows = (column: string, fieldOperation: AclOperation): boolean =>
    column === SYS_ID || evaluateFieldAcl(acls, tableName, column, fieldOperation, user).kind !== "refused";

  if (operation === "read") {
    steps.push(...traceFieldRules(acls, tableName, columns, "read", user));
    return {
      access: { canRead: (column) => fieldAllows(column, "read"), canWrite: () => false },
      steps,
    };
  }
  if (operation !== "delete") steps.push(...traceFieldRules(acls, tableName, columns, operation, user));
  const readLabel = operation === "delete" ? "filter columns" : "response read-back";
  const readBack = evaluateRecordAcl(acls, tableName, "read", user);
  const recordReadable = readBack.kind === "passed";
  steps.push(
    recordReadable ? `${readLabel}: ${readBack.step}` : `${readLabel}: ${readBack.step}; only ${SYS_ID} is readable`,
  );
  if (recordReadable) {
    steps.push(...traceFieldRules(acls, tableName, columns, "read", user).map((step) => `${readLabel}: ${step}`));
  }
  return {
    access: {
      canRead: (column) => column === SYS_ID || (recordReadable && fieldAllows(column, "read")),
      canWrite: (column) => operation !== "delete" && fieldAllows(column, operation),
    },
    steps,
  };
}

/**
 * One line per field rule outcome (columns decided alike are listed together),
 * and one for the columns that follow the record rule.
 */
function traceFieldRules(
  acls: readonly AclRule[],
  table: string,
  columns: readonly string[],
  operation: AclOperation,
  user: UserAccount | undefined,
): string[] {
  if (!hasFieldRules(acls, table, operation)) {
    return [`no ${operation} field rules for ${table}: every column follows the record rule`];
  }
  const columnsByOutcome = new Map<string, string[]>();
  const followRecordRule: string[] = [];
  for (const column of columns) {
    const check = evaluateFieldAcl(acls, table, column, operation, user);
    switch (check.kind) {
      case "no-rule":
        followRecordRule.push(column);
        break;
      case "passed":
      case "refused": {
        const verdict = check.kind === "passed" ? "allowed" : operation === "read" ? "hidden" : "refused";
        const outcome = `${operation} ${verdict}: ${check.step}`;
        columnsByOutcome.set(outcome, [...(columnsByOutcome.get(outcome) ?? []), column]);
        break;
      }
      default: {
        const unreachable: never = check;
        throw new Error(`unexpected field check ${String(unreachable)}`);
      }
    }
  }
  const steps = [...columnsByOutcome].map(
    ([outcome, decided]) => `${decided.length === 1 ? "column" : "columns"} ${decided.join(", ")} ${outcome}`,
  );
  if (followRecordRule.length > 0) {
    steps.push(`no ${operation} field rule for ${followRecordRule.join(", ")}: allowed by the record rule`);
  }
  return steps;
}
