/**
 * A fresh configuration directory for a test.
 *
 *   const dir = makeConfigDir({ gateway: "strict_security: true\n" });
 *   const config = loadConfig(dir);
 *
 * Each YAML file given replaces the default of that file completely; files
 * not given get the defaults below (DEFAULT_CONFIG_YAML). `extra` writes more
 * files (secrets, certificates) at paths relative to the directory; parent
 * directories are created. The defaults load cleanly on their own:
 *   - gateway: Basic auth required, ws_security.required false, strict_security false
 *   - tables: `incident` (number string(40), short_description string(160),
 *     priority integer, active boolean, opened_at datetime)
 *   - users: alice (password "alice-password", roles [soap]),
 *            bob (password "bob-password", roles [soap_query, itil]),
 *            integration (password "integration-password", roles [soap], internal integration user)
 *   - acls: record rules on incident for read/create/write/delete, open to any known user
 *   - profiles, policies: none
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export type ConfigFileName = "gateway" | "profiles" | "policies" | "users" | "acls" | "tables";

export const DEFAULT_GATEWAY_YAML = `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: false
strict_security: false
`;

export const DEFAULT_PROFILES_YAML = `profiles: []
`;

export const DEFAULT_POLICIES_YAML = `policies: []
`;

export const DEFAULT_USERS_YAML = `users:
  - user_name: alice
    email: alice@example.test
    password: alice-password
    roles: [soap]
  - user_name: bob
    email: bob@example.test
    password: bob-password
    roles: [soap_query, itil]
  - user_name: integration
    password: integration-password
    roles: [soap]
    internal_integration_user: true
`;

export const DEFAULT_ACLS_YAML = `acls:
  - table: incident
    operation: read
    roles: []
  - table: incident
    operation: create
    roles: []
  - table: incident
    operation: write
    roles: []
  - table: incident
    operation: delete
    roles: []
`;

export const DEFAULT_TABLES_YAML = `tables:
  - name: incident
    columns:
      number: {type: string, max_length: 40}
      short_description: {type: string, max_length: 160}
      priority: {type: integer}
      active: {type: boolean}
      opened_at: {type: datetime}
`;

export const DEFAULT_CONFIG_YAML: Readonly<Record<ConfigFileName, string>> = {
  gateway: DEFAULT_GATEWAY_YAML,
  profiles: DEFAULT_PROFILES_YAML,
  policies: DEFAULT_POLICIES_YAML,
  users: DEFAULT_USERS_YAML,
  acls: DEFAULT_ACLS_YAML,
  tables: DEFAULT_TABLES_YAML,
};

/** Writes the configuration files into a new temporary directory and returns its path. */
export function makeConfigDir(
  files: Partial<Record<ConfigFileName, string>> = {},
  extra: Record<string, string | Buffer> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-config-"));
  for (const [name, defaultYaml] of Object.entries(DEFAULT_CONFIG_YAML) as [ConfigFileName, string][]) {
    writeFileSync(join(dir, `${name}.yaml`), files[name] ?? defaultYaml);
  }
  for (const [relativePath, content] of Object.entries(extra)) {
    const path = join(dir, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}
