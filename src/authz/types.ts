/**
 * What an authorization decision hands to the operation engine. `ColumnAccess`
 * is structurally identical to the interface of src/operations/index.ts, so
 * either name may be used where the other is expected.
 */
export interface ColumnAccess {
  /** May the column appear in a response? Columns that may not are left out. */
  canRead(column: string): boolean;
  /** May the request set the column? One unwritable column refuses the whole request. */
  canWrite(column: string): boolean;
}

/**
 * The step-6 decision (SPEC §5). `steps` is a human-readable trace naming the
 * role or ACL rule that decided; it never holds secrets. `reason` is for the
 * audit log: the client only sees `Insufficient rights to perform {operation} on {table}`.
 */
export type AuthorizationDecision =
  | { readonly kind: "allowed"; readonly access: ColumnAccess; readonly steps: string[] }
  | { readonly kind: "refused"; readonly reason: string; readonly steps: string[] };
