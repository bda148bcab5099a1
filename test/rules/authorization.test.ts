/**
 * ACLs (SPEC §6): record rules, the most specific tier deciding, field rules
 * filtering reads and refusing writes, admin override, strict_security off,
 * guest and inactive users, and the WSDL role check. Configurations are real
 * directories loaded by the real loader, so rule sources are real lines.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { authorizeOperation, canFetchWsdl, type AuthorizationDecision } from "../../src/authz/authorize.js";
import type { ColumnAccess } from "../../src/authz/types.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { account, authzConfig } from "../helpers/authz-config.js";

function decide(config: GatewayConfig, userName: string, table: string, operation: string): AuthorizationDecision {
  return authorizeOperation({ config, user: config.users.get(userName), userName, table, operation });
}

function allowedAccess(decision: AuthorizationDecision): ColumnAccess {
  assert.equal(decision.kind, "allowed", decision.kind === "refused" ? decision.reason : "");
  if (decision.kind !== "allowed") throw new Error("unreachable");
  return decision.access;
}

function refusalReason(decision: AuthorizationDecision): string {
  assert.equal(decision.kind, "refused");
  if (decision.kind !== "refused") throw new Error("unreachable");
  return decision.reason;
}

function readable(access: ColumnAccess, columns: readonly string[]): string[] {
  return columns.filter((c) => access.canRead(c));
}

function writable(access: ColumnAccess, columns: readonly string[]): string[] {
  return columns.filter((c) => access.canWrite(c));
}

const INCIDENT_COLUMNS = [
  "sys_id",
  "sys_created_on",
  "sys_created_by",
  "sys_updated_on",
  "sys_updated_by",
  "number",
  "short_description",
  "priority",
];

describe("record ACLs", () => {
  const tableBeatsStar = authzConfig({
    acls: `acls:
  - table: "*"
    operation: read
  - table: incident
    operation: read
    roles: [itil]
`,
  });

  test("table rule beats *: soap_query without itil → refused on incident though * is open", () => {
    const decision = decide(tableBeatsStar, "query.user", "incident", "getRecords");
    assert.equal(refusalReason(decision), "ACL acls.yaml:4 (incident read roles [itil]) refused: user holds none of [itil]");
    assert.deepEqual(decision.steps, [
      "strict_security is on: checking SOAP roles and ACLs for query.user",
      "role soap_query allows getRecords on incident",
      "ACL acls.yaml:4 (incident read roles [itil]) refused: user holds none of [itil]",
    ]);
  });

  test("table rule beats *: the same user passes * on a table without its own rule", () => {
    const decision = decide(tableBeatsStar, "query.user", "problem", "getRecords");
    allowedAccess(decision);
    assert.ok(decision.steps.includes("ACL acls.yaml:2 (* read any known user) passed: any known user"), decision.steps.join("\n"));
  });

  test("user holding the table rule's role passes, and the trace names the rule", () => {
    const decision = decide(tableBeatsStar, "itil_query.user", "incident", "get");
    allowedAccess(decision);
    assert.deepEqual(decision.steps.slice(0, 3), [
      "strict_security is on: checking SOAP roles and ACLs for itil_query.user",
      "role soap_query allows get on incident",
      "ACL acls.yaml:4 (incident read roles [itil]) passed: user holds itil",
    ]);
  });

  test("inactive table rule is ignored: * decides", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: read
    roles: [itil]
    active: false
  - table: "*"
    operation: read
`,
    });
    const decision = decide(config, "query.user", "incident", "getRecords");
    allowedAccess(decision);
    assert.ok(decision.steps.includes("ACL acls.yaml:6 (* read any known user) passed: any known user"));
  });

  test("only inactive rules → no rule → refused", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: read
    active: false
`,
    });
    assert.equal(
      refusalReason(decide(config, "query.user", "incident", "get")),
      "no active ACL rule for incident read (nor * read) → refused",
    );
  });

  test("no rule for the operation → refused even with the soap role", () => {
    const config = authzConfig({ acls: `acls:\n  - table: "*"\n    operation: read\n` });
    assert.equal(
      refusalReason(decide(config, "soap.user", "incident", "deleteRecord")),
      "no active ACL rule for incident delete (nor * delete) → refused",
    );
    allowedAccess(decide(config, "soap.user", "incident", "get"));
  });

  test("empty acls.yaml → every non-admin operation refused", () => {
    const config = authzConfig({ acls: "acls: []\n" });
    for (const operation of ["get", "insert", "update", "deleteMultiple", "aggregate"]) {
      assert.equal(decide(config, "soap.user", "incident", operation).kind, "refused", operation);
    }
  });

  test("roles [] = any known user: every active account passes, whatever its roles", () => {
    const config = authzConfig({ acls: `acls:\n  - table: incident\n    operation: read\n    roles: []\n` });
    allowedAccess(decide(config, "query.user", "incident", "get"));
    allowedAccess(decide(config, "itil_query.user", "incident", "get"));
  });

  test("several rules in the deciding tier: holding the role of any one passes", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: write
    roles: [itil_admin]
  - table: incident
    operation: write
    roles: [itil]
`,
    });
    const decision = decide(config, "itil_admin.user", "incident", "update");
    assert.ok(decision.steps.includes("ACL acls.yaml:2 (incident write roles [itil_admin]) passed: user holds itil_admin"));
    const refused = decide(config, "update.user", "incident", "update");
    assert.equal(
      refusalReason(refused),
      "ACL acls.yaml:2 (incident write roles [itil_admin]); acls.yaml:5 (incident write roles [itil]) refused: user holds none of [itil_admin, itil]",
    );
  });

  test("a create rule does not grant write, nor read grant delete", () => {
    const config = authzConfig({
      acls: `acls:\n  - table: incident\n    operation: create\n  - table: incident\n    operation: read\n`,
    });
    allowedAccess(decide(config, "soap.user", "incident", "insertMultiple"));
    assert.equal(decide(config, "soap.user", "incident", "update").kind, "refused");
    assert.equal(decide(config, "soap.user", "incident", "deleteMultiple").kind, "refused");
  });
});

describe("field ACLs", () => {
  test("read: a column the user may not read is hidden, the others and sys_id stay", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: read
  - table: incident
    field: priority
    operation: read
    roles: [itil]
`,
    });
    const decision = decide(config, "query.user", "incident", "getRecords");
    const access = allowedAccess(decision);
    assert.deepEqual(readable(access, INCIDENT_COLUMNS), INCIDENT_COLUMNS.filter((c) => c !== "priority"));
    assert.deepEqual(writable(access, INCIDENT_COLUMNS), []);
    assert.deepEqual(decision.steps.slice(3), [
      "column priority read hidden: ACL acls.yaml:4 (incident.priority read roles [itil]) refused: user holds none of [itil]",
      "no read field rule for sys_created_on, sys_created_by, sys_updated_on, sys_updated_by, number, short_description: allowed by the record rule",
    ]);
    assert.deepEqual(readable(allowedAccess(decide(config, "itil_query.user", "incident", "get")), INCIDENT_COLUMNS), INCIDENT_COLUMNS);
  });

  test("precedence: table.column beats table.*", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: read
  - table: incident
    field: "*"
    operation: read
    roles: [itil]
  - table: incident
    field: number
    operation: read
`,
    });
    const access = allowedAccess(decide(config, "query.user", "incident", "get"));
    assert.deepEqual(readable(access, INCIDENT_COLUMNS), ["sys_id", "number"]);
  });

  test("precedence: table.* beats *.column, which beats *.*", () => {
    const config = authzConfig({
      acls: `acls:
  - table: "*"
    operation: read
  - table: "*"
    field: "*"
    operation: read
    roles: [itil]
  - table: "*"
    field: number
    operation: read
  - table: problem
    field: "*"
    operation: read
    roles: [itil]
`,
    });
    // incident: *.number opens number; *.* hides the rest.
    const incident = allowedAccess(decide(config, "query.user", "incident", "get"));
    assert.deepEqual(readable(incident, INCIDENT_COLUMNS), ["sys_id", "number"]);
    // problem: problem.* decides before *.number, so number is hidden too.
    const problem = allowedAccess(decide(config, "query.user", "problem", "get"));
    assert.deepEqual(readable(problem, ["sys_id", "number", "sys_created_by"]), ["sys_id"]);
  });

  test("system columns other than sys_id obey field rules; sys_id is never hidden from a readable record", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: read
  - table: incident
    field: sys_created_by
    operation: read
    roles: [itil]
  - table: incident
    field: sys_id
    operation: read
    roles: [itil]
`,
    });
    const access = allowedAccess(decide(config, "query.user", "incident", "get"));
    assert.equal(access.canRead("sys_created_by"), false);
    assert.equal(access.canRead("sys_id"), true);
    assert.equal(access.canRead("sys_updated_by"), true);
  });

  test("inactive field rule is ignored: the column follows the record rule", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: read
  - table: incident
    field: priority
    operation: read
    roles: [itil]
    active: false
`,
    });
    const decision = decide(config, "query.user", "incident", "get");
    assert.equal(allowedAccess(decision).canRead("priority"), true);
    assert.ok(decision.steps.includes("no read field rules for incident: every column follows the record rule"));
  });

  test("write: a column the user may not write is refused; others and the key are writable", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: write
  - table: incident
    operation: read
  - table: incident
    field: priority
    operation: write
    roles: [itil_admin]
`,
    });
    const decision = decide(config, "update.user", "incident", "update");
    const access = allowedAccess(decision);
    assert.deepEqual(writable(access, ["sys_id", "number", "short_description", "priority"]), ["sys_id", "number", "short_description"]);
    assert.ok(
      decision.steps.includes(
        "column priority write refused: ACL acls.yaml:6 (incident.priority write roles [itil_admin]) refused: user holds none of [itil_admin]",
      ),
      decision.steps.join("\n"),
    );
    assert.equal(allowedAccess(decide(config, "itil_admin.user", "incident", "update")).canWrite("priority"), true);
  });

  test("write field rules do not govern create, and create field rules do not govern write", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: create
  - table: incident
    operation: write
  - table: incident
    field: priority
    operation: create
    roles: [itil_admin]
`,
    });
    assert.equal(allowedAccess(decide(config, "soap.user", "incident", "insert")).canWrite("priority"), false);
    assert.equal(allowedAccess(decide(config, "soap.user", "incident", "update")).canWrite("priority"), true);
  });

  test("insert read-back: without a read record rule only sys_id is returned", () => {
    const config = authzConfig({ acls: `acls:\n  - table: incident\n    operation: create\n` });
    const decision = decide(config, "create.user", "incident", "insert");
    const access = allowedAccess(decision);
    assert.deepEqual(readable(access, INCIDENT_COLUMNS), ["sys_id"]);
    assert.deepEqual(writable(access, ["number", "priority"]), ["number", "priority"]);
    assert.ok(
      decision.steps.includes("response read-back: no active ACL rule for incident read (nor * read) → refused; only sys_id is readable"),
      decision.steps.join("\n"),
    );
  });

  test("insert read-back follows read field rules", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: create
  - table: incident
    operation: read
  - table: incident
    field: short_description
    operation: read
    roles: [itil]
`,
    });
    const access = allowedAccess(decide(config, "soap.user", "incident", "insert"));
    assert.equal(access.canRead("short_description"), false);
    assert.equal(access.canWrite("short_description"), true);
    assert.equal(access.canRead("number"), true);
  });

  test("delete writes nothing; its filter columns follow the read rules", () => {
    const config = authzConfig({
      acls: `acls:
  - table: incident
    operation: delete
  - table: incident
    operation: read
  - table: incident
    field: priority
    operation: read
    roles: [itil]
`,
    });
    const decision = decide(config, "delete.user", "incident", "deleteMultiple");
    const access = allowedAccess(decision);
    assert.deepEqual(readable(access, INCIDENT_COLUMNS), INCIDENT_COLUMNS.filter((c) => c !== "priority"));
    assert.deepEqual(writable(access, INCIDENT_COLUMNS), []);
    assert.ok(
      decision.steps.includes(
        "filter columns: column priority read hidden: ACL acls.yaml:6 (incident.priority read roles [itil]) refused: user holds none of [itil]",
      ),
      decision.steps.join("\n"),
    );
  });

  test("delete without a read record rule: only sys_id may be filtered on", () => {
    const config = authzConfig({ acls: `acls:\n  - table: incident\n    operation: delete\n` });
    const decision = decide(config, "delete.user", "incident", "deleteRecord");
    assert.deepEqual(readable(allowedAccess(decision), INCIDENT_COLUMNS), ["sys_id"]);
    assert.equal(decision.steps.at(-1), "filter columns: no active ACL rule for incident read (nor * read) → refused; only sys_id is readable");
  });

  test("read operations never write", () => {
    const access = allowedAccess(decide(authzConfig(), "soap.user", "incident", "aggregate"));
    assert.deepEqual(writable(access, INCIDENT_COLUMNS), []);
  });
});

describe("admin override", () => {
  const config = authzConfig({
    acls: `acls:
  - table: incident
    field: "*"
    operation: read
    roles: [itil]
`,
  });

  test("admin with no record rule and a refusing field rule → allowed, every column", () => {
    for (const operation of ["get", "insert", "update", "deleteRecord"]) {
      const decision = decide(config, "admin.user", "sys_import_set_row", operation);
      const access = allowedAccess(decision);
      assert.deepEqual(readable(access, INCIDENT_COLUMNS), INCIDENT_COLUMNS);
      assert.deepEqual(writable(access, INCIDENT_COLUMNS), INCIDENT_COLUMNS);
      assert.deepEqual(decision.steps, [
        "strict_security is on: checking SOAP roles and ACLs for admin.user",
        `role admin allows ${operation} on sys_import_set_row, ACLs included`,
      ]);
    }
  });

  test("inactive admin → refused", () => {
    assert.equal(refusalReason(decide(config, "inactive.user", "incident", "get")), "user inactive.user is inactive → refused");
  });
});

describe("strict_security off", () => {
  const config = authzConfig({ gateway: "ws_security:\n  required: false\nstrict_security: false\n", acls: "acls: []\n" });

  test("a user without any SOAP role or ACL may call every operation on every published table", () => {
    for (const table of ["incident", "ecc_queue", "sys_import_set_row"]) {
      for (const operation of ["insert", "getRecords", "update", "deleteMultiple"]) {
        const access = allowedAccess(decide(config, "itil.user", table, operation));
        assert.equal(access.canRead("priority") && access.canWrite("priority"), true);
      }
    }
    assert.deepEqual(decide(config, "itil.user", "incident", "get").steps, [
      "strict_security is off: itil.user may call get on any published table",
    ]);
  });

  test("inactive user → refused", () => {
    assert.equal(decide(config, "inactive.user", "incident", "get").kind, "refused");
  });

  test("guest without an account → refused", () => {
    assert.equal(
      refusalReason(decide(config, "guest", "incident", "get")),
      "user guest has no account, so holds no roles → refused",
    );
  });

  test("unpublished table → refused", () => {
    assert.equal(refusalReason(decide(config, "itil.user", "sys_user", "get")), "table sys_user is not published");
  });
});

describe("guest, unknown operations and unpublished tables under strict security", () => {
  const config = authzConfig();

  test("guest without an account holds no roles → refused even where * is open to any known user", () => {
    assert.equal(
      refusalReason(decide(config, "guest", "incident", "getRecords")),
      "user guest has no account, so holds no roles → refused",
    );
  });

  test("a guest account in users.yaml is a known user with its own roles", () => {
    const withGuest = authzConfig({ users: "users:\n  - user_name: guest\n    roles: [soap_query]\n" });
    allowedAccess(decide(withGuest, "guest", "incident", "get"));
    assert.equal(decide(withGuest, "guest", "incident", "insert").kind, "refused");
  });

  test("unknown operation → refused, even for admin", () => {
    assert.equal(refusalReason(decide(config, "admin.user", "incident", "drop")), "drop is not a table operation");
    assert.equal(decide(config, "admin.user", "incident", "toString").kind, "refused");
    assert.equal(decide(config, "admin.user", "incident", "__proto__").kind, "refused");
  });

  test("unpublished table → refused, even for admin", () => {
    assert.equal(refusalReason(decide(config, "admin.user", "sys_user", "get")), "table sys_user is not published");
  });
});

describe("canFetchWsdl", () => {
  const requiring = authzConfig();
  const open = authzConfig({ gateway: "ws_security:\n  required: false\nwsdl_requires_soap_role: false\n" });

  test("wsdl_requires_soap_role: soap or admin only", () => {
    assert.equal(canFetchWsdl(requiring, account(requiring, "soap.user")), true);
    assert.equal(canFetchWsdl(requiring, account(requiring, "admin.user")), true);
    assert.equal(canFetchWsdl(requiring, account(requiring, "import_admin.user")), true);
    assert.equal(canFetchWsdl(requiring, account(requiring, "query.user")), false);
    assert.equal(canFetchWsdl(requiring, account(requiring, "ecc.user")), false);
    assert.equal(canFetchWsdl(requiring, account(requiring, "itil.user")), false);
  });

  test("without wsdl_requires_soap_role: any active account", () => {
    assert.equal(canFetchWsdl(open, account(open, "itil.user")), true);
    assert.equal(canFetchWsdl(open, account(open, "query.user")), true);
  });

  test("wsdl_roles: a read-only partner role may read the WSDL without soap, and soap no longer does unless listed", () => {
    const readOnly = authzConfig({ gateway: "ws_security:\n  required: false\nwsdl_roles: [soap_query]\n" });
    assert.equal(canFetchWsdl(readOnly, account(readOnly, "query.user")), true);
    assert.equal(canFetchWsdl(readOnly, account(readOnly, "soap.user")), false);
    assert.equal(canFetchWsdl(readOnly, account(readOnly, "admin.user")), true);
    assert.equal(canFetchWsdl(readOnly, account(readOnly, "itil.user")), false);
  });

  test("inactive user and guest without account → never", () => {
    for (const config of [requiring, open]) {
      assert.equal(canFetchWsdl(config, account(config, "inactive.user")), false);
      assert.equal(canFetchWsdl(config, undefined), false);
    }
  });
});

describe("ACL properties (fast-check)", () => {
  const base = authzConfig();
  const ruleArbitrary = fc.record({
    table: fc.constantFrom("incident", "problem", "*"),
    field: fc.constantFrom(undefined, "*", "number", "priority", "sys_created_by"),
    operation: fc.constantFrom("read" as const, "create" as const, "write" as const, "delete" as const),
    roles: fc.subarray(["itil", "itil_admin"]),
    active: fc.boolean(),
  });
  const rulesArbitrary = fc
    .array(ruleArbitrary, { maxLength: 8 })
    .map((rules) => rules.map((rule, index) => ({ ...rule, source: `acls.yaml:${index * 6 + 2}` })));
  const caseArbitrary = fc.record({
    userName: fc.constantFrom("soap.user", "query.user", "itil_query.user", "itil_admin.user"),
    table: fc.constantFrom("incident", "problem"),
    operation: fc.constantFrom("get", "getRecords", "insert", "update", "deleteMultiple"),
  });
  const columns = ["sys_id", "sys_created_by", "number", "priority", "short_description"];

  function outcome(acls: GatewayConfig["acls"], c: { userName: string; table: string; operation: string }) {
    const config: GatewayConfig = { ...base, acls };
    const decision = decide(config, c.userName, c.table, c.operation);
    if (decision.kind === "refused") return { kind: "refused" as const, reason: decision.reason };
    return { kind: "allowed" as const, read: readable(decision.access, columns), write: writable(decision.access, columns) };
  }

  test("inactive rules are invisible: adding them never changes a decision", () => {
    fc.assert(
      fc.property(rulesArbitrary, rulesArbitrary, caseArbitrary, (rules, extra, c) => {
        const inactive = extra.map((rule) => ({ ...rule, active: false, source: `acls.yaml:${900 + extra.indexOf(rule)}` }));
        assert.deepEqual(outcome([...rules, ...inactive], c), outcome(rules, c));
      }),
      { numRuns: 300 },
    );
  });

  test("field rules only narrow: they never change the record decision and never add a column", () => {
    fc.assert(
      fc.property(rulesArbitrary, caseArbitrary, (rules, c) => {
        const withFields = outcome(rules, c);
        const recordOnly = outcome(rules.filter((rule) => rule.field === undefined), c);
        assert.equal(withFields.kind, recordOnly.kind);
        if (withFields.kind === "allowed" && recordOnly.kind === "allowed") {
          assert.ok(withFields.read.every((column) => recordOnly.read.includes(column)));
          assert.ok(withFields.write.every((column) => recordOnly.write.includes(column)));
          assert.ok(withFields.read.includes("sys_id"));
        }
      }),
      { numRuns: 300 },
    );
  });
});
