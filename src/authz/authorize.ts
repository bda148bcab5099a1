/**
 * Step 6 of the decision (SPEC §5, §6): may the session user run this
 * operation on this table, and which columns may it read and write? A pure
 * function of the validated configuration; it fails closed.
 *
 * - An unpublished table, an unknown operation, a user without an account
 *   (guest) or an inactive user is refused, whatever strict_security says.
 *   (To let anonymous callers in, define a `guest` account in users.yaml.)
 * - strict_security off: any other user may call any published table, every column.
 * - strict_security on: `admin` may do everything, ACLs included; anyone else
 *   needs a SOAP role allowing the operation (src/authz/soap-roles.ts) AND
 *   the record ACL (src/authz/acl.ts); field rules shape the ColumnAccess.
 */
import type { GatewayConfig, UserAccount } from "../config/types.js";
import { evaluateRecordAcl } from "./acl.js";
import { ALL_COLUMNS, buildColumnAccess } from "./column-access.js";
import { ADMIN_ROLE, aclOperationOf, checkSoapRoles, isTableOperation } from "./soap-roles.js";
import type { AuthorizationDecision } from "./types.js";

export type { AuthorizationDecision, ColumnAccess } from "./types.js";

export interface AuthorizationInput {
  readonly config: GatewayConfig;
  /** The session user's account; undefined for guest without an account. */
  readonly user: UserAccount | undefined;
  readonly userName: string;
  readonly table: string;
  /** The local name of the Body's child, e.g. `getRecords`. */
  readonly operation: string;
}

export function authorizeOperation(input: AuthorizationInput): AuthorizationDecision {
  const { config, user, userName, table, operation } = input;
  const steps: string[] = [];
  const refuse = (reason: string): AuthorizationDecision => ({ kind: "refused", reason, steps: [...steps, reason] });

  const tableDef = config.tables.get(table);
  if (tableDef === undefined) return refuse(`table ${table} is not published`);
  if (!isTableOperation(operation)) return refuse(`${operation} is not a table operation`);
  if (user === undefined) return refuse(`user ${userName} has no account, so holds no roles → refused`);
  if (!user.active) return refuse(`user ${userName} is inactive → refused`);

  if (!config.gateway.strictSecurity) {
    steps.push(`strict_security is off: ${userName} may call ${operation} on any published table`);
    return { kind: "allowed", access: ALL_COLUMNS, steps };
  }
  steps.push(`strict_security is on: checking SOAP roles and ACLs for ${userName}`);
  if (user.roles.includes(ADMIN_ROLE)) {
    steps.push(`role ${ADMIN_ROLE} allows ${operation} on ${table}, ACLs included`);
    return { kind: "allowed", access: ALL_COLUMNS, steps };
  }

  const roleCheck = checkSoapRoles(user.roles, table, operation);
  steps.push(...roleCheck.steps);
  if (roleCheck.kind === "refused") return { kind: "refused", reason: roleCheck.reason, steps };

  const aclOperation = aclOperationOf(operation);
  const recordCheck = evaluateRecordAcl(config.acls, table, aclOperation, user);
  steps.push(recordCheck.step);
  if (recordCheck.kind === "refused") return { kind: "refused", reason: recordCheck.step, steps };

  const columns = buildColumnAccess({ acls: config.acls, table: tableDef, operation: aclOperation, user });
  steps.push(...columns.steps);
  return { kind: "allowed", access: columns.access, steps };
}

/**
 * GET ?WSDL / ?XSD (SPEC §3, §5 step 3): with wsdl_requires_soap_role the user
 * needs one of `wsdl_roles` (default [soap], so a read-only partner can be
 * given a role that reads the WSDL without `soap`, which grants every
 * operation) or `admin`; otherwise any active account will do. A user
 * without an account (guest) is refused either way.
 */
export function canFetchWsdl(config: GatewayConfig, user: UserAccount | undefined): boolean {
  if (user === undefined || !user.active) return false;
  if (!config.gateway.wsdlRequiresSoapRole) return true;
  return user.roles.includes(ADMIN_ROLE) || config.gateway.wsdlRoles.some((role) => user.roles.includes(role));
}
