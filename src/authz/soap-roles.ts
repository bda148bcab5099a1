/**
 * The SOAP roles of SPEC §6: which role lets the session user call which
 * table operation. Pure data plus one check; ACLs are src/authz/acl.ts.
 */
import type { AclOperation } from "../config/types.js";
import { TABLE_OPERATIONS, isTableOperation, type TableOperation } from "../operations/names.js";

export { TABLE_OPERATIONS, isTableOperation, type TableOperation };

/** The families the role table speaks of ("query, create, update"). */
export type OperationFamily = "query" | "create" | "update" | "delete";

const FAMILY_OF: Readonly<Record<TableOperation, OperationFamily>> = {
  get: "query",
  getKeys: "query",
  getRecords: "query",
  aggregate: "query",
  insert: "create",
  insertMultiple: "create",
  update: "update",
  deleteRecord: "delete",
  deleteMultiple: "delete",
};

const ACL_OPERATION_OF: Readonly<Record<OperationFamily, AclOperation>> = {
  query: "read",
  create: "create",
  update: "write",
  delete: "delete",
};

export function operationFamily(operation: TableOperation): OperationFamily {
  return FAMILY_OF[operation];
}

/** The ACL operation (acls.yaml `operation`) that a table operation is checked against. */
export function aclOperationOf(operation: TableOperation): AclOperation {
  return ACL_OPERATION_OF[FAMILY_OF[operation]];
}

export const ADMIN_ROLE = "admin";
export const SOAP_ROLE = "soap";
export const ECC_QUEUE_TABLE = "ecc_queue";
export const IMPORT_SET_ROW_TABLE = "sys_import_set_row";
/** One of these is required in addition to a SOAP role for `sys_import_set_row`. */
export const IMPORT_ROLES: readonly string[] = ["import_admin", "import_transformer"];

interface SoapRoleGrant {
  readonly role: string;
  readonly families: readonly OperationFamily[];
  /** The grant holds on this table only (soap_ecc). */
  readonly onlyTable: string | undefined;
}

const ALL_FAMILIES: readonly OperationFamily[] = ["query", "create", "update", "delete"];

export const SOAP_ROLE_GRANTS: readonly SoapRoleGrant[] = [
  { role: SOAP_ROLE, families: ALL_FAMILIES, onlyTable: undefined },
  { role: "soap_query", families: ["query"], onlyTable: undefined },
  { role: "soap_create", families: ["create"], onlyTable: undefined },
  { role: "soap_update", families: ["update"], onlyTable: undefined },
  { role: "soap_query_update", families: ["query", "update"], onlyTable: undefined },
  { role: "soap_delete", families: ["delete"], onlyTable: undefined },
  { role: "soap_ecc", families: ["query", "create", "update"], onlyTable: ECC_QUEUE_TABLE },
];

export type RoleCheck =
  | { readonly kind: "allowed"; readonly steps: readonly string[] }
  | { readonly kind: "refused"; readonly reason: string; readonly steps: readonly string[] };

/**
 * Does one of `roles` allow `operation` on `table`? `admin` allows everything;
 * otherwise a SOAP role must grant the operation's family (on this table, for
 * soap_ecc), and `sys_import_set_row` also needs an import role.
 */
export function checkSoapRoles(roles: readonly string[], table: string, operation: TableOperation): RoleCheck {
  if (roles.includes(ADMIN_ROLE)) {
    return { kind: "allowed", steps: [`role ${ADMIN_ROLE} allows ${operation} on ${table}`] };
  }
  const family = FAMILY_OF[operation];
  const grant = SOAP_ROLE_GRANTS.find(
    (g) => roles.includes(g.role) && g.families.includes(family) && (g.onlyTable === undefined || g.onlyTable === table),
  );
  if (!grant) {
    const reason = `no SOAP role allows ${operation} on ${table} (user roles: ${listRoles(roles)})`;
    return { kind: "refused", reason, steps: [reason] };
  }
  const steps = [`role ${grant.role} allows ${operation} on ${table}`];
  if (table !== IMPORT_SET_ROW_TABLE) return { kind: "allowed", steps };

  const importRole = IMPORT_ROLES.find((r) => roles.includes(r));
  if (!importRole) {
    const reason = `${IMPORT_SET_ROW_TABLE} also needs one of ${listRoles(IMPORT_ROLES)} (user roles: ${listRoles(roles)})`;
    return { kind: "refused", reason, steps: [...steps, reason] };
  }
  return { kind: "allowed", steps: [...steps, `role ${importRole} satisfies the import role ${IMPORT_SET_ROW_TABLE} requires`] };
}

export function listRoles(roles: readonly string[]): string {
  return `[${roles.join(", ")}]`;
}
