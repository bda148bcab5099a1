/**
 * ACL evaluation (SPEC §6, "contextual security"). For a subject (a table,
 * or a table's column) and an operation, the active rules of the most
 * specific matching tier decide, and the user passes when it satisfies one
 * of them. Less specific tiers are not consulted once a tier matches, so a
 * table's own rule can restrict what a "*" rule would allow.
 *
 *   record rules (no `field`):  table  →  "*"
 *   field rules, per column:    table.column → table.* → *.column → *.*
 *
 * A rule is satisfied by an active account (one in users.yaml) that holds one
 * of its roles; `roles: []` is satisfied by any active account. A user without
 * an account (guest) or an inactive one satisfies nothing.
 */
import type { AclOperation, AclRule, UserAccount } from "../config/types.js";
import { listRoles } from "./soap-roles.js";

export const ANY_TABLE_OR_FIELD = "*";

export type AclCheck =
  | { readonly kind: "passed"; readonly rule: AclRule; readonly step: string }
  /** `rules` is the tier that refused; empty when no rule matched at all. */
  | { readonly kind: "refused"; readonly rules: readonly AclRule[]; readonly step: string };

/** A column with no matching field rule is governed by the record rule alone. */
export type FieldAclCheck = AclCheck | { readonly kind: "no-rule" };

interface Tier {
  readonly table: string;
  /** undefined selects record rules. */
  readonly field: string | undefined;
}

/** The record (row) rule check for `table` and `operation`. No matching rule → refused. */
export function evaluateRecordAcl(
  acls: readonly AclRule[],
  table: string,
  operation: AclOperation,
  user: UserAccount | undefined,
): AclCheck {
  const tiers: Tier[] = [
    { table, field: undefined },
    { table: ANY_TABLE_OR_FIELD, field: undefined },
  ];
  const rules = mostSpecificRules(acls, operation, tiers);
  if (rules.length === 0) {
    return { kind: "refused", rules, step: `no active ACL rule for ${table} ${operation} (nor * ${operation}) → refused` };
  }
  return decide(rules, user);
}

/** The field rule check for one column; `no-rule` when no field rule matches it. */
export function evaluateFieldAcl(
  acls: readonly AclRule[],
  table: string,
  column: string,
  operation: AclOperation,
  user: UserAccount | undefined,
): FieldAclCheck {
  const tiers: Tier[] = [
    { table, field: column },
    { table, field: ANY_TABLE_OR_FIELD },
    { table: ANY_TABLE_OR_FIELD, field: column },
    { table: ANY_TABLE_OR_FIELD, field: ANY_TABLE_OR_FIELD },
  ];
  const rules = mostSpecificRules(acls, operation, tiers);
  return rules.length === 0 ? { kind: "no-rule" } : decide(rules, user);
}

/** True when any active field rule exists for this operation (so column checks can be skipped otherwise). */
export function hasFieldRules(acls: readonly AclRule[], table: string, operation: AclOperation): boolean {
  return acls.some(
    (r) => r.active && r.field !== undefined && r.operation === operation && (r.table === table || r.table === ANY_TABLE_OR_FIELD),
  );
}

function mostSpecificRules(acls: readonly AclRule[], operation: AclOperation, tiers: readonly Tier[]): readonly AclRule[] {
  for (const tier of tiers) {
    const rules = acls.filter(
      (r) => r.active && r.operation === operation && r.table === tier.table && r.field === tier.field,
    );
    if (rules.length > 0) return rules;
  }
  return [];
}

function decide(rules: readonly AclRule[], user: UserAccount | undefined): AclCheck {
  for (const rule of rules) {
    const satisfiedBy = satisfaction(rule, user);
    if (satisfiedBy !== undefined) return { kind: "passed", rule, step: `ACL ${describeRule(rule)} passed: ${satisfiedBy}` };
  }
  const described = rules.map(describeRule).join("; ");
  return { kind: "refused", rules, step: `ACL ${described} refused: ${whyNotSatisfied(rules, user)}` };
}

/** How `user` satisfies `rule`, or undefined when it does not. */
function satisfaction(rule: AclRule, user: UserAccount | undefined): string | undefined {
  if (user === undefined || !user.active) return undefined;
  if (rule.roles.length === 0) return "any known user";
  const held = rule.roles.find((role) => user.roles.includes(role));
  return held === undefined ? undefined : `user holds ${held}`;
}

function whyNotSatisfied(rules: readonly AclRule[], user: UserAccount | undefined): string {
  if (user === undefined) return "user has no account";
  if (!user.active) return "user is inactive";
  const needed = [...new Set(rules.flatMap((r) => r.roles))];
  return `user holds none of ${listRoles(needed)}`;
}

/** `acls.yaml:12 (incident.priority read roles [itil])` */
export function describeRule(rule: AclRule): string {
  const subject = rule.field === undefined ? rule.table : `${rule.table}.${rule.field}`;
  const roles = rule.roles.length === 0 ? "any known user" : `roles ${listRoles(rule.roles)}`;
  return `${rule.source} (${subject} ${rule.operation} ${roles})`;
}
