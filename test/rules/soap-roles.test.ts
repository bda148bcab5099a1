/**
 * SPEC §6 role table under strict_security, with `*` record ACLs open to any
 * known user so that only the SOAP roles decide. The expected table below is
 * SPEC §6 written out by hand, one row per user.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authorizeOperation } from "../../src/authz/authorize.js";
import { TABLE_OPERATIONS, aclOperationOf, checkSoapRoles } from "../../src/authz/soap-roles.js";
import { account, authzConfig } from "../helpers/authz-config.js";

const QUERY = ["get", "getKeys", "getRecords", "aggregate"];
const CREATE = ["insert", "insertMultiple"];
const UPDATE = ["update"];
const DELETE = ["deleteRecord", "deleteMultiple"];
const EVERY = [...QUERY, ...CREATE, ...UPDATE, ...DELETE];
const NONE: string[] = [];

type Row = Readonly<Record<"incident" | "ecc_queue" | "sys_import_set_row", readonly string[]>>;

const EXPECTED: Readonly<Record<string, Row>> = {
  "soap.user": { incident: EVERY, ecc_queue: EVERY, sys_import_set_row: NONE },
  "query.user": { incident: QUERY, ecc_queue: QUERY, sys_import_set_row: NONE },
  "create.user": { incident: CREATE, ecc_queue: CREATE, sys_import_set_row: NONE },
  "update.user": { incident: UPDATE, ecc_queue: UPDATE, sys_import_set_row: NONE },
  "query_update.user": { incident: [...QUERY, ...UPDATE], ecc_queue: [...QUERY, ...UPDATE], sys_import_set_row: NONE },
  "delete.user": { incident: DELETE, ecc_queue: DELETE, sys_import_set_row: NONE },
  "ecc.user": { incident: NONE, ecc_queue: [...QUERY, ...CREATE, ...UPDATE], sys_import_set_row: NONE },
  "import_admin.user": { incident: EVERY, ecc_queue: EVERY, sys_import_set_row: EVERY },
  "import_transformer.user": { incident: QUERY, ecc_queue: QUERY, sys_import_set_row: QUERY },
  "import_only.user": { incident: NONE, ecc_queue: NONE, sys_import_set_row: NONE },
  "admin.user": { incident: EVERY, ecc_queue: EVERY, sys_import_set_row: EVERY },
  "itil.user": { incident: NONE, ecc_queue: NONE, sys_import_set_row: NONE },
  "inactive.user": { incident: NONE, ecc_queue: NONE, sys_import_set_row: NONE },
};

describe("SOAP roles (strict_security, SPEC §6)", () => {
  const config = authzConfig();

  test("the expected table covers the nine operations", () => {
    assert.deepEqual([...EVERY].sort(), [...TABLE_OPERATIONS].sort());
  });

  for (const [userName, row] of Object.entries(EXPECTED)) {
    for (const [table, allowed] of Object.entries(row)) {
      test(`${userName} on ${table}: allowed exactly ${allowed.length === 0 ? "nothing" : allowed.join(", ")}`, () => {
        const user = account(config, userName);
        const outcome = TABLE_OPERATIONS.filter(
          (operation) => authorizeOperation({ config, user, userName, table, operation }).kind === "allowed",
        );
        assert.deepEqual([...outcome].sort(), [...allowed].sort());
      });
    }
  }

  test("each operation is checked against its ACL operation", () => {
    assert.deepEqual(
      Object.fromEntries(TABLE_OPERATIONS.map((op) => [op, aclOperationOf(op)])),
      {
        insert: "create",
        insertMultiple: "create",
        get: "read",
        getRecords: "read",
        getKeys: "read",
        update: "write",
        deleteRecord: "delete",
        deleteMultiple: "delete",
        aggregate: "read",
      },
    );
  });

  test("soap_query refused insert → reason lists the user's roles", () => {
    const user = account(config, "query.user");
    const decision = authorizeOperation({ config, user, userName: "query.user", table: "incident", operation: "insert" });
    assert.equal(decision.kind, "refused");
    assert.equal(decision.kind === "refused" && decision.reason, "no SOAP role allows insert on incident (user roles: [soap_query])");
  });

  test("soap_ecc on another table → refused, naming the table", () => {
    assert.deepEqual(checkSoapRoles(["soap_ecc"], "incident", "getRecords"), {
      kind: "refused",
      reason: "no SOAP role allows getRecords on incident (user roles: [soap_ecc])",
      steps: ["no SOAP role allows getRecords on incident (user roles: [soap_ecc])"],
    });
    assert.deepEqual(checkSoapRoles(["soap_ecc"], "ecc_queue", "insert"), {
      kind: "allowed",
      steps: ["role soap_ecc allows insert on ecc_queue"],
    });
  });

  test("sys_import_set_row with soap but no import role → refused, naming the import roles", () => {
    assert.deepEqual(checkSoapRoles(["soap"], "sys_import_set_row", "insert"), {
      kind: "refused",
      reason: "sys_import_set_row also needs one of [import_admin, import_transformer] (user roles: [soap])",
      steps: [
        "role soap allows insert on sys_import_set_row",
        "sys_import_set_row also needs one of [import_admin, import_transformer] (user roles: [soap])",
      ],
    });
  });

  test("sys_import_set_row with soap_query + import_transformer → allowed, trace names both roles", () => {
    assert.deepEqual(checkSoapRoles(["soap_query", "import_transformer"], "sys_import_set_row", "getKeys"), {
      kind: "allowed",
      steps: [
        "role soap_query allows getKeys on sys_import_set_row",
        "role import_transformer satisfies the import role sys_import_set_row requires",
      ],
    });
  });

  test("an import role alone grants no operation", () => {
    assert.equal(checkSoapRoles(["import_admin", "import_transformer"], "sys_import_set_row", "get").kind, "refused");
  });

  test("role names are case-sensitive: SOAP is not soap", () => {
    assert.equal(checkSoapRoles(["SOAP", "Admin"], "incident", "get").kind, "refused");
  });
});
