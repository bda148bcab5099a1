/**
 * Checks that span entries or files: unique names, and every name that one
 * entry uses for another (a policy's profiles, a profile's run-as user, the
 * default policy, an ACL's table, field and roles) exists. Each check runs
 * only when the files it reads passed the schema, so one broken file does
 * not cause a cascade of follow-on problems.
 */
import { SYSTEM_COLUMNS } from "./types.js";
import { SAFE_IDENTIFIER, type ConfigDirectory, type ConfigFileKey } from "./schema.js";
import type { ProblemSink } from "./problems.js";

/** The SOAP roles of SPEC §6; any other role must be granted to some user to be known. */
export const BUILT_IN_ROLES: readonly string[] = [
  "soap",
  "soap_query",
  "soap_create",
  "soap_update",
  "soap_query_update",
  "soap_delete",
  "soap_ecc",
  "import_admin",
  "import_transformer",
  "admin",
];

const WILDCARD = "*";

export function checkReferences(files: Partial<ConfigDirectory>, sink: ProblemSink): void {
  const { gateway, profiles, policies, users, acls, tables } = files;
  if (profiles) checkUniqueNames("profiles", profiles.profiles, (p) => p.name, ["name"], "profile", sink);
  if (policies) checkUniqueNames("policies", policies.policies, (p) => p.name, ["name"], "policy", sink);
  if (users) {
    checkUniqueNames("users", users.users, (u) => u.user_name, ["user_name"], "user", sink);
    // authenticate_with_user on email must find exactly one user.
    checkUniqueNames("users", users.users, (u) => u.email?.toLowerCase(), ["email"], "email", sink);
  }
  if (tables) {
    checkUniqueNames("tables", tables.tables, (t) => t.name, ["name"], "table", sink);
    checkTableIdentifiers(tables, sink);
  }
  if (profiles && users) checkRunAsUsers(profiles, users, sink);
  if (policies && profiles) checkPolicyProfiles(policies, profiles, sink);
  if (gateway && policies) checkDefaultPolicy(gateway, policies, sink);
  if (gateway && policies) checkShadowPolicy(gateway, policies, sink);
  if (acls && tables && users) checkAcls(acls, tables, users, sink);
}

function checkUniqueNames<T>(
  file: ConfigFileKey,
  entries: readonly T[],
  nameOf: (entry: T) => string | undefined,
  field: readonly string[],
  what: string,
  sink: ProblemSink,
): void {
  const firstIndex = new Map<string, number>();
  entries.forEach((entry, index) => {
    const name = nameOf(entry);
    if (name === undefined) return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else sink.report(file, [file, index, ...field], `duplicate ${what} "${name}" (also ${file}[${first}])`);
  });
}

function checkTableIdentifiers(tables: ConfigDirectory["tables"], sink: ProblemSink): void {
  tables.tables.forEach((table, index) => {
    const tableProblem = identifierProblem(table.name);
    if (tableProblem) sink.report("tables", ["tables", index, "name"], `table name "${table.name}" ${tableProblem}`);
    for (const column of Object.keys(table.columns)) {
      const columnProblem = identifierProblem(column);
      if (columnProblem) sink.report("tables", ["tables", index, "columns", column], `column name "${column}" ${columnProblem}`);
      else if ((SYSTEM_COLUMNS as readonly string[]).includes(column)) {
        sink.report("tables", ["tables", index, "columns", column], `column name "${column}" is a system column`);
      }
    }
  });
}

function identifierProblem(name: string): string | undefined {
  if (name.startsWith("__")) return "is reserved (names starting with __ are operation parameters)";
  if (!SAFE_IDENTIFIER.test(name)) return "is not a safe identifier (^[a-z_][a-z0-9_]{0,62}$)";
  return undefined;
}

function checkRunAsUsers(profiles: ConfigDirectory["profiles"], users: ConfigDirectory["users"], sink: ProblemSink): void {
  const userNames = new Set(users.users.map((u) => u.user_name));
  profiles.profiles.forEach((profile, index) => {
    if (profile.type === "username" && profile.action === "authenticate_with_user") return;
    // A missing run_as_user is reported by src/config/directions.ts when the profile is used inbound.
    if (profile.run_as_user !== undefined && !userNames.has(profile.run_as_user)) {
      sink.report("profiles", ["profiles", index, "run_as_user"], `user "${profile.run_as_user}" is not in users.yaml`);
    }
  });
}

function checkPolicyProfiles(
  policies: ConfigDirectory["policies"],
  profiles: ConfigDirectory["profiles"],
  sink: ProblemSink,
): void {
  const profileNames = new Set(profiles.profiles.map((p) => p.name));
  policies.policies.forEach((policy, policyIndex) => {
    const listed = new Set<string>();
    policy.profiles.forEach((name, index) => {
      const path = ["policies", policyIndex, "profiles", index];
      if (!profileNames.has(name)) sink.report("policies", path, `profile "${name}" is not in profiles.yaml`);
      else if (listed.has(name)) sink.report("policies", path, `profile "${name}" is listed twice`);
      listed.add(name);
    });
  });
}

function checkDefaultPolicy(gateway: ConfigDirectory["gateway"], policies: ConfigDirectory["policies"], sink: ProblemSink): void {
  // With no policies at all, SPEC §5 evaluates every active profile; the (default) name is then unused.
  if (policies.policies.length === 0) return;
  const name = gateway.ws_security.default_policy;
  if (!policies.policies.some((p) => p.name === name)) {
    sink.report("gateway", ["ws_security", "default_policy"], `policy "${name}" is not in policies.yaml`);
  }
}

/** The shadow policy is evaluated like an enforced one, so it must be an inbound policy that exists. */
function checkShadowPolicy(gateway: ConfigDirectory["gateway"], policies: ConfigDirectory["policies"], sink: ProblemSink): void {
  const name = gateway.ws_security.shadow_policy;
  if (name === null) return;
  const policy = policies.policies.find((p) => p.name === name);
  if (!policy) sink.report("gateway", ["ws_security", "shadow_policy"], `policy "${name}" is not in policies.yaml`);
  else if (policy.type !== "inbound") sink.report("gateway", ["ws_security", "shadow_policy"], `policy "${name}" is an outbound policy; a shadow policy must be inbound`);
}

function checkAcls(
  acls: ConfigDirectory["acls"],
  tables: ConfigDirectory["tables"],
  users: ConfigDirectory["users"],
  sink: ProblemSink,
): void {
  const knownRoles = new Set([...BUILT_IN_ROLES, ...users.users.flatMap((u) => u.roles)]);
  const columnsByTable = new Map(tables.tables.map((t) => [t.name, new Set([...Object.keys(t.columns), ...SYSTEM_COLUMNS])]));
  const anyTableHas = (field: string) => [...columnsByTable.values()].some((columns) => columns.has(field));
  acls.acls.forEach((rule, index) => {
    const columns = columnsByTable.get(rule.table);
    if (rule.table !== WILDCARD && columns === undefined) {
      sink.report("acls", ["acls", index, "table"], `table "${rule.table}" is not in tables.yaml`);
    } else if (rule.field !== undefined && rule.field !== WILDCARD) {
      const exists = columns === undefined ? anyTableHas(rule.field) : columns.has(rule.field);
      if (!exists) {
        const where = columns === undefined ? "any table" : `table "${rule.table}"`;
        sink.report("acls", ["acls", index, "field"], `field "${rule.field}" is not a column of ${where}`);
      }
    }
    rule.roles.forEach((role, roleIndex) => {
      if (!knownRoles.has(role)) {
        sink.report("acls", ["acls", index, "roles", roleIndex], `role "${role}" is neither a SOAP role nor granted to any user`);
      }
    });
  });
}
