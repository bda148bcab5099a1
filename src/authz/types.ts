/** What an authorization decision hands to the operation engine: which columns the request may read and write. */
import type { ColumnAccess } from "../operations/access.js";

export type { ColumnAccess };

/**
 * The step-6 decision (SPEC §5). `steps` is a human-readable trace naming the
 * role or ACL rule that decided; it never holds secrets. `reason` is for the
 * audit log: the client only sees `Insufficient rights to perform {operation} on {table}`.
 */
export type AuthorizationDecision =
  | { readonly kind: "allowed"; readonly access: ColumnAccess; readonly steps: string[] }
  | { readonly kind: "refused"; readonly reason: string; readonly steps: string[] };
