/**
 * Stage: may the session user perform this operation on this table
 * (SPEC §5 step 6, §6)? The rules live in src/authz/; this stage applies
 * their decision and hands the column access on to the operation.
 *
 * The decision is a pure function of the validated, immutable configuration
 * and of names it defines (an account, a published table, a table
 * operation), so it is computed once per configuration and reused: the
 * cache hangs off the configuration object (a WeakMap), and a reload, which
 * brings a new object, starts an empty one — nothing decided under the old
 * configuration survives it. Anything else (guest without an account, an
 * unpublished table, an unknown operation) is decided afresh every time, so
 * what a request names never grows the cache. The decision's column access
 * remembers each column's answer (columns of the table only).
 */
import type { GatewayConfig, UserAccount } from "../config/types.js";
import type { BasicUser } from "../http/state.js";
import { authorizeOperation, type AuthorizationDecision, type ColumnAccess } from "../authz/authorize.js";
import { ALL_COLUMNS } from "../authz/column-access.js";
import { isTableOperation } from "../authz/soap-roles.js";
import { SYSTEM_COLUMNS } from "../config/types.js";

/** configuration → account → `userName \0 table \0 operation` → decision. */
const decisions = new WeakMap<GatewayConfig, WeakMap<UserAccount, Map<string, AuthorizationDecision>>>();

export function authorizeRequest(config: GatewayConfig, sessionUser: BasicUser, table: string, operation: string): AuthorizationDecision {
  const account = sessionUser.account;
  const tableDef = config.tables.get(table);
  if (account === undefined || tableDef === undefined || !isTableOperation(operation)) {
    return authorizeOperation({ config, user: account, userName: sessionUser.userName, table, operation });
  }
  let byAccount = decisions.get(config);
  if (byAccount === undefined) decisions.set(config, (byAccount = new WeakMap()));
  let byName = byAccount.get(account);
  if (byName === undefined) byAccount.set(account, (byName = new Map()));
  const key = `${sessionUser.userName}\0${table}\0${operation}`;
  let decision = byName.get(key);
  if (decision === undefined) {
    decision = shared(authorizeOperation({ config, user: account, userName: sessionUser.userName, table, operation }), new Set([...SYSTEM_COLUMNS, ...tableDef.columns.keys()]));
    byName.set(key, decision);
  }
  return decision;
}

/** A decision fit to be handed to every request: its steps frozen, its column answers remembered. */
function shared(decision: AuthorizationDecision, columns: ReadonlySet<string>): AuthorizationDecision {
  Object.freeze(decision.steps);
  if (decision.kind === "refused") return Object.freeze(decision);
  return Object.freeze({ ...decision, access: decision.access === ALL_COLUMNS ? ALL_COLUMNS : rememberingAccess(decision.access, columns) });
}

function rememberingAccess(access: ColumnAccess, columns: ReadonlySet<string>): ColumnAccess {
  return Object.freeze({
    canRead: remembering((column) => access.canRead(column), columns),
    canWrite: remembering((column) => access.canWrite(column), columns),
  });
}

/** `answer`, with each answer for a column of `columns` remembered (other names are asked every time, so they never grow the map). */
function remembering(answer: (column: string) => boolean, columns: ReadonlySet<string>): (column: string) => boolean {
  const answers = new Map<string, boolean>();
  return (column) => {
    let known = answers.get(column);
    if (known === undefined) {
      known = answer(column);
      if (columns.has(column)) answers.set(column, known);
    }
    return known;
  };
}
