/**
 * Configurations for the authorization tests, loaded by the real loader from
 * a real directory so that AclRule.source carries real `acls.yaml:LINE`s.
 *
 *   const config = authzConfig({ acls: "acls:\n  - table: incident\n    operation: read\n" });
 *
 * Users are named after what they hold; none has a password (authorization
 * never looks at one).
 */
import { loadConfig } from "../../src/config/load.js";
import type { GatewayConfig, UserAccount } from "../../src/config/types.js";
import { makeConfigDir } from "./config-dir.js";

export const AUTHZ_TABLES_YAML = `tables:
  - name: incident
    columns:
      number: {type: string, max_length: 40}
      short_description: {type: string, max_length: 160}
      priority: {type: integer}
  - name: problem
    columns:
      number: {type: string, max_length: 40}
  - name: ecc_queue
    columns:
      queue: {type: string, max_length: 40}
      payload: {type: string}
  - name: sys_import_set_row
    columns:
      data: {type: string}
`;

export const AUTHZ_USERS_YAML = `users:
  - user_name: soap.user
    roles: [soap]
  - user_name: query.user
    roles: [soap_query]
  - user_name: create.user
    roles: [soap_create]
  - user_name: update.user
    roles: [soap_update]
  - user_name: query_update.user
    roles: [soap_query_update]
  - user_name: delete.user
    roles: [soap_delete]
  - user_name: ecc.user
    roles: [soap_ecc]
  - user_name: import_admin.user
    roles: [soap, import_admin]
  - user_name: import_transformer.user
    roles: [soap_query, import_transformer]
  - user_name: import_only.user
    roles: [import_admin]
  - user_name: admin.user
    roles: [admin]
  - user_name: itil.user
    roles: [itil]
  - user_name: itil_query.user
    roles: [soap_query, itil]
  - user_name: itil_admin.user
    roles: [soap, itil, itil_admin]
  - user_name: inactive.user
    roles: [soap, admin]
    active: false
`;

/** `*` record rules open to any known user, for every operation. */
export const OPEN_ACLS_YAML = `acls:
  - table: "*"
    operation: read
  - table: "*"
    operation: create
  - table: "*"
    operation: write
  - table: "*"
    operation: delete
`;

export function authzConfig(
  files: { acls?: string; gateway?: string; users?: string } = {},
): GatewayConfig {
  const gateway = files.gateway ?? "ws_security:\n  required: false\nstrict_security: true\n";
  const dir = makeConfigDir({
    gateway,
    tables: AUTHZ_TABLES_YAML,
    users: files.users ?? AUTHZ_USERS_YAML,
    acls: files.acls ?? OPEN_ACLS_YAML,
  });
  return loadConfig(dir, { env: {} });
}

export function account(config: GatewayConfig, userName: string): UserAccount {
  const user = config.users.get(userName);
  if (user === undefined) throw new Error(`no user ${userName} in the test configuration`);
  return user;
}
