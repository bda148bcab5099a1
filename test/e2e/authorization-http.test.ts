/**
 * SOAP roles and ACLs (SPEC §5 step 6, §6) through the real gateway: real
 * HTTP on 127.0.0.1 and a real SQLite file. Each refusal asserts the HTTP
 * status, the exact faultstring and faultcode, and that the table's rows are
 * unchanged. Users are named after the roles they hold.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

const TABLES_YAML = `tables:
  - name: incident
    columns:
      number: {type: string, max_length: 40}
      short_description: {type: string, max_length: 160}
      priority: {type: integer}
      secret_note: {type: string}
  - name: ecc_queue
    columns:
      queue: {type: string, max_length: 40}
      payload: {type: string}
  - name: sys_import_set_row
    columns:
      u_number: {type: string, max_length: 40}
`;

const USERS_YAML = `users:
  - user_name: query.user
    password: query-password
    roles: [soap_query]
  - user_name: create.user
    password: create-password
    roles: [soap_create]
  - user_name: ecc.user
    password: ecc-password
    roles: [soap_ecc]
  - user_name: soap.user
    password: soap-password
    roles: [soap]
  - user_name: import.user
    password: import-password
    roles: [soap, import_admin]
  - user_name: import_only.user
    password: import-only-password
    roles: [import_admin]
  - user_name: admin.user
    password: admin-password
    roles: [admin]
  - user_name: no_roles.user
    password: no-roles-password
    roles: []
  - user_name: secret.user
    password: secret-password
    roles: [soap_query, secret_reader]
  - user_name: priority.user
    password: priority-password
    roles: [soap_create, priority_setter]
`;

/**
 * Record rules open to any known user; incident.secret_note readable only
 * with `secret_reader`; incident.priority creatable only with `priority_setter`.
 */
const ACLS_YAML = `acls:
  - table: "*"
    operation: read
  - table: "*"
    operation: create
  - table: "*"
    operation: write
  - table: "*"
    operation: delete
  - table: incident
    field: secret_note
    operation: read
    roles: [secret_reader]
  - table: incident
    field: priority
    operation: create
    roles: [priority_setter]
`;

function gatewayYaml(options: { strictSecurity: boolean; wsSecurityRequired?: boolean }): string {
  return `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: ${options.wsSecurityRequired ?? false}
  default_policy: Default Security Policy
strict_security: ${options.strictSecurity}
wsdl_requires_soap_role: true
`;
}

const PASSWORDS: Readonly<Record<string, string>> = {
  "query.user": "query-password",
  "create.user": "create-password",
  "ecc.user": "ecc-password",
  "soap.user": "soap-password",
  "import.user": "import-password",
  "import_only.user": "import-only-password",
  "admin.user": "admin-password",
  "no_roles.user": "no-roles-password",
  "secret.user": "secret-password",
  "priority.user": "priority-password",
};

function as(user: string): string {
  return basicAuth(user, PASSWORDS[user]!);
}

async function call(gateway: TestGateway, user: string, table: string, operation: string, children = "") {
  return postSoap(gateway, table, soapEnvelope(table, operation, children), { authorization: as(user) });
}

/** Sends the operation as `user`, asserts the refusal exactly, and that no table changed. */
async function assertRefused(
  gateway: TestGateway,
  user: string,
  table: string,
  operation: string,
  children: string,
  expected: { faultstring: string; faultcode?: string },
): Promise<void> {
  const tables = ["incident", "ecc_queue", "sys_import_set_row"];
  const before = tables.map((name) => gateway.rows(name));
  const response = await call(gateway, user, table, operation, children);
  assert.deepEqual(
    { status: response.status, faultstring: textOf(response.body, "faultstring"), faultcode: textOf(response.body, "faultcode") },
    { status: 500, faultstring: expected.faultstring, faultcode: expected.faultcode ?? "soapenv:Client" },
    response.body,
  );
  assert.deepEqual(
    tables.map((name) => gateway.rows(name)),
    before,
    "a refused request changed the store",
  );
}

async function assertAllowed(gateway: TestGateway, user: string, table: string, operation: string, children = ""): Promise<string> {
  const response = await call(gateway, user, table, operation, children);
  assert.equal(response.status, 200, `${user} ${operation} on ${table}: ${response.body}`);
  assert.match(response.body, new RegExp(`<ns:${operation}Response `));
  return response.body;
}

const insufficient = (operation: string, table: string) => ({ faultstring: `Insufficient rights to perform ${operation} on ${table}` });

describe("strict_security true: SOAP roles × operations over HTTP", () => {
  let gateway: TestGateway;
  /** An incident written by admin (with a secret_note), for the read, update and delete checks. */
  let incidentSysId: string;

  before(async () => {
    gateway = await startTestGateway({
      files: { gateway: gatewayYaml({ strictSecurity: true }), tables: TABLES_YAML, users: USERS_YAML, acls: ACLS_YAML },
    });
    const body = await assertAllowed(
      gateway,
      "admin.user",
      "incident",
      "insert",
      "<number>INC0000001</number><short_description>printer on fire</short_description><priority>1</priority><secret_note>root password on a post-it</secret_note>",
    );
    incidentSysId = textOf(body, "sys_id")!;
  });
  after(() => gateway.close());

  test("soap_query: getRecords on incident → 200", async () => {
    const body = await assertAllowed(gateway, "query.user", "incident", "getRecords", "<number>INC0000001</number>");
    assert.equal(textOf(body, "sys_id"), incidentSysId);
  });

  test("soap_query: insert on incident → Insufficient rights to perform insert on incident, nothing written", async () => {
    await assertRefused(gateway, "query.user", "incident", "insert", "<number>INC0000002</number>", insufficient("insert", "incident"));
  });

  test("soap_query: update on incident → Insufficient rights to perform update on incident, nothing changed", async () => {
    await assertRefused(
      gateway,
      "query.user",
      "incident",
      "update",
      `<sys_id>${incidentSysId}</sys_id><short_description>changed</short_description>`,
      insufficient("update", "incident"),
    );
  });

  test("soap_create: insert on incident → 200, written by create.user", async () => {
    const body = await assertAllowed(gateway, "create.user", "incident", "insert", "<number>INC0000003</number>");
    const row = gateway.rows("incident").find((candidate) => candidate.sys_id === textOf(body, "sys_id"));
    assert.equal(row?.sys_created_by, "create.user");
  });

  test("soap_create: deleteRecord on incident → Insufficient rights to perform deleteRecord on incident, the row stays", async () => {
    await assertRefused(gateway, "create.user", "incident", "deleteRecord", `<sys_id>${incidentSysId}</sys_id>`, insufficient("deleteRecord", "incident"));
  });

  test("soap_create: getRecords on incident → Insufficient rights to perform getRecords on incident", async () => {
    await assertRefused(gateway, "create.user", "incident", "getRecords", "", insufficient("getRecords", "incident"));
  });

  test("soap_ecc: insert and getRecords on ecc_queue → 200", async () => {
    await assertAllowed(gateway, "ecc.user", "ecc_queue", "insert", "<queue>input</queue><payload>hello</payload>");
    const body = await assertAllowed(gateway, "ecc.user", "ecc_queue", "getRecords", "<queue>input</queue>");
    assert.equal(textOf(body, "payload"), "hello");
  });

  test("soap_ecc: deleteRecord on ecc_queue → Insufficient rights to perform deleteRecord on ecc_queue", async () => {
    const sysId = String(gateway.rows("ecc_queue")[0]!.sys_id);
    await assertRefused(gateway, "ecc.user", "ecc_queue", "deleteRecord", `<sys_id>${sysId}</sys_id>`, insufficient("deleteRecord", "ecc_queue"));
  });

  test("soap_ecc: insert on incident → Insufficient rights to perform insert on incident", async () => {
    await assertRefused(gateway, "ecc.user", "incident", "insert", "<number>INC0000004</number>", insufficient("insert", "incident"));
  });

  test("soap + import_admin: insert on sys_import_set_row → 200", async () => {
    await assertAllowed(gateway, "import.user", "sys_import_set_row", "insert", "<u_number>IMP0001</u_number>");
    assert.equal(gateway.rows("sys_import_set_row")[0]?.sys_created_by, "import.user");
  });

  test("soap without an import role: insert on sys_import_set_row → Insufficient rights to perform insert on sys_import_set_row", async () => {
    await assertRefused(gateway, "soap.user", "sys_import_set_row", "insert", "<u_number>IMP0002</u_number>", insufficient("insert", "sys_import_set_row"));
  });

  test("import_admin without a SOAP role: insert on sys_import_set_row → Insufficient rights to perform insert on sys_import_set_row", async () => {
    await assertRefused(gateway, "import_only.user", "sys_import_set_row", "insert", "<u_number>IMP0003</u_number>", insufficient("insert", "sys_import_set_row"));
  });

  test("no roles at all: getRecords on incident → Insufficient rights to perform getRecords on incident", async () => {
    await assertRefused(gateway, "no_roles.user", "incident", "getRecords", "", insufficient("getRecords", "incident"));
  });

  test("a hidden column is absent from getRecords results: soap_query sees no secret_note; secret_reader and admin do", async () => {
    const hidden = await assertAllowed(gateway, "query.user", "incident", "getRecords", "<number>INC0000001</number>");
    assert.equal(textOf(hidden, "short_description"), "printer on fire");
    assert.ok(!hidden.includes("secret_note"), hidden);
    assert.ok(!hidden.includes("post-it"), hidden);
    for (const user of ["secret.user", "admin.user"]) {
      const shown = await assertAllowed(gateway, user, "incident", "getRecords", "<number>INC0000001</number>");
      assert.equal(textOf(shown, "secret_note"), "root password on a post-it", user);
    }
  });

  test("a filter on secret_note by a secret_reader → 200 with the record", async () => {
    const body = await assertAllowed(gateway, "secret.user", "incident", "getRecords", "<__encoded_query>secret_noteSTARTSWITHroot</__encoded_query>");
    assert.equal(textOf(body, "sys_id"), incidentSysId);
  });

  test("a hidden column is absent from get as well", async () => {
    const body = await assertAllowed(gateway, "query.user", "incident", "get", `<sys_id>${incidentSysId}</sys_id>`);
    assert.equal(textOf(body, "number"), "INC0000001");
    assert.ok(!body.includes("secret_note"), body);
  });

  test("a filter on a hidden column → Field 'secret_note' is not readable (as a column filter and in an encoded query)", async () => {
    const refused = { faultstring: "Field 'secret_note' is not readable" };
    await assertRefused(gateway, "query.user", "incident", "getRecords", "<secret_note>root password on a post-it</secret_note>", refused);
    await assertRefused(gateway, "query.user", "incident", "getRecords", "<__encoded_query>secret_noteSTARTSWITHroot</__encoded_query>", refused);
  });

  for (const [operation, children] of [
    ["getRecords", "<__order_by>secret_note</__order_by>"],
    ["getKeys", "<secret_note>root password on a post-it</secret_note>"],
    ["aggregate", "<COUNT>*</COUNT><GROUP_BY>secret_note</GROUP_BY>"],
    ["aggregate", "<MAX>secret_note</MAX>"],
  ] as const) {
    test(`${operation} ordering, filtering, grouping or aggregating on a hidden column (${children}) → Field 'secret_note' is not readable`, async () => {
      await assertRefused(gateway, "query.user", "incident", operation, children, { faultstring: "Field 'secret_note' is not readable" });
    });
  }

  test("a refusal in SOAP 1.2: Code/Value soapenv:Sender, no Subcode, Reason/Text 'Insufficient rights to perform insert on incident'", async () => {
    const before = gateway.rows("incident");
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>INC0000020</number>", "1.2"), {
      authorization: as("query.user"),
      contentType: "application/soap+xml; charset=utf-8",
    });
    assert.equal(response.status, 500);
    assert.match(
      response.body,
      /<soapenv:Code><soapenv:Value>soapenv:Sender<\/soapenv:Value><\/soapenv:Code><soapenv:Reason><soapenv:Text xml:lang="en">Insufficient rights to perform insert on incident<\/soapenv:Text><\/soapenv:Reason>/,
    );
    assert.deepEqual(gateway.rows("incident"), before);
  });

  test("the audit line of a refusal names the role check that decided; the client sees only the fault string", async () => {
    const response = await call(gateway, "query.user", "incident", "deleteRecord", `<sys_id>${incidentSysId}</sys_id>`);
    assert.equal(textOf(response.body, "faultstring"), "Insufficient rights to perform deleteRecord on incident");
    const requestId = response.headers.get("x-request-id");
    const audit = gateway
      .logLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .find((candidate) => candidate?.requestId === requestId);
    assert.equal(audit?.sessionUser, "query.user");
    assert.equal(audit?.operation, "deleteRecord");
    assert.equal(audit?.fault, "insufficientRights");
    assert.match(String(audit?.reason), /soap_query/);
    assert.doesNotMatch(response.body, /soap_query|acls\.yaml/);
  });

  test("insertMultiple whose second record sets a column the user may not create → refused, the first record is not written either", async () => {
    await assertRefused(
      gateway,
      "create.user",
      "incident",
      "insertMultiple",
      "<record><number>INC0000021</number></record><record><number>INC0000022</number><priority>2</priority></record>",
      insufficient("insertMultiple", "incident"),
    );
  });

  test("an insert setting a column the user may not create (priority) is refused whole: Insufficient rights to perform insert on incident", async () => {
    await assertRefused(
      gateway,
      "create.user",
      "incident",
      "insert",
      "<number>INC0000005</number><short_description>fine</short_description><priority>1</priority>",
      insufficient("insert", "incident"),
    );
    assert.equal(gateway.rows("incident").filter((row) => row.number === "INC0000005").length, 0);
  });

  test("the same insert by a soap_create user holding priority_setter → 200, priority written", async () => {
    const body = await assertAllowed(gateway, "priority.user", "incident", "insert", "<number>INC0000005</number><short_description>fine</short_description><priority>1</priority>");
    const row = gateway.rows("incident").find((candidate) => candidate.sys_id === textOf(body, "sys_id"));
    assert.equal(row?.priority, 1);
    assert.equal(row?.sys_created_by, "priority.user");
  });

  test("admin: everything, field rules included — insert with priority, then deleteRecord → 200", async () => {
    const body = await assertAllowed(gateway, "admin.user", "incident", "insert", "<number>INC0000006</number><priority>2</priority>");
    const sysId = textOf(body, "sys_id")!;
    assert.equal(gateway.rows("incident").find((row) => row.sys_id === sysId)?.priority, 2);
    const deleted = await assertAllowed(gateway, "admin.user", "incident", "deleteRecord", `<sys_id>${sysId}</sys_id>`);
    assert.equal(textOf(deleted, "count"), "1");
    assert.equal(gateway.rows("incident").filter((row) => row.sys_id === sysId).length, 0);
  });

  for (const kind of ["WSDL", "XSD"] as const) {
    test(`GET ?${kind} without the soap role → 403; with soap or admin → 200`, async () => {
      const fetchAs = (user: string) => fetch(`${gateway.url}/incident.do?${kind}`, { headers: { Authorization: as(user) } });
      const refused = await fetchAs("query.user");
      assert.equal(refused.status, 403);
      assert.ok(!(await refused.text()).includes("<"), "a refused WSDL/XSD request must not describe the service");
      for (const user of ["soap.user", "admin.user"]) {
        const allowed = await fetchAs(user);
        assert.equal(allowed.status, 200, user);
        assert.match(await allowed.text(), kind === "WSDL" ? /<wsdl:definitions/ : /<xsd?:schema/);
      }
    });
  }
});

describe("strict_security false: any authenticated user may call any published table", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({
      files: { gateway: gatewayYaml({ strictSecurity: false }), tables: TABLES_YAML, users: USERS_YAML, acls: ACLS_YAML },
    });
  });
  after(() => gateway.close());

  test("a user without roles inserts (priority and secret_note included), reads every column, deletes", async () => {
    const inserted = await assertAllowed(gateway, "no_roles.user", "incident", "insert", "<number>INC0000007</number><priority>3</priority><secret_note>visible</secret_note>");
    const sysId = textOf(inserted, "sys_id")!;
    assert.equal(gateway.rows("incident")[0]?.sys_created_by, "no_roles.user");
    const read = await assertAllowed(gateway, "no_roles.user", "incident", "getRecords", "<number>INC0000007</number>");
    assert.equal(textOf(read, "secret_note"), "visible");
    await assertAllowed(gateway, "no_roles.user", "sys_import_set_row", "insert", "<u_number>IMP0004</u_number>");
    await assertAllowed(gateway, "no_roles.user", "incident", "deleteRecord", `<sys_id>${sysId}</sys_id>`);
    assert.equal(gateway.rows("incident").length, 0);
  });

  test("Basic auth still applies: a wrong password → 401, nothing written", async () => {
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>INC0000008</number>"), {
      authorization: basicAuth("no_roles.user", "wrong"),
    });
    assert.equal(response.status, 401);
    assert.equal(gateway.rows("incident").length, 0);
  });
});

describe("roles are checked against the session user, not the Basic user", () => {
  let pkiDir: string;
  let asCreate: TestCertificate;
  let asQuery: TestCertificate;
  let gateway: TestGateway;

  before(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), "e2e-authz-pki-"));
    asCreate = makeCertificate(pkiDir, "run-as-create", { key: "rsa2048" });
    asQuery = makeCertificate(pkiDir, "run-as-query", { key: "rsa2048" });
    const x509Profile = (name: string, order: number, runAs: string, certificate: string) => `  - name: ${name}
    type: x509
    order: ${order}
    bind_session: true
    run_as_user: ${runAs}
    certificate: ${certificate}
`;
    gateway = await startTestGateway({
      files: {
        gateway: gatewayYaml({ strictSecurity: true, wsSecurityRequired: true }),
        tables: TABLES_YAML,
        users: USERS_YAML,
        acls: ACLS_YAML,
        profiles: `profiles:\n${x509Profile("Run as create", 100, "create.user", "certs/create.pem")}${x509Profile("Run as query", 200, "query.user", "certs/query.pem")}`,
        policies: `policies:
  - name: Default Security Policy
    type: inbound
    require_signed: true
    authenticate: at_least_one
    profiles: [Run as create, Run as query]
`,
      },
      extra: { "certs/create.pem": asCreate.certPem, "certs/query.pem": asQuery.certPem },
    });
  });
  after(async () => {
    await gateway.close();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  const signedInsert = (number: string, signer: TestCertificate): string =>
    signEnvelope(soapEnvelope("incident", "insert", `<number>${number}</number>`), { key: signer.keyPem, cert: signer.certPem, timestampSeconds: 300 });

  test("Basic user without roles, x509 run_as soap_create → insert passes and is written by create.user", async () => {
    const response = await postSoap(gateway, "incident", signedInsert("INC0000010", asCreate), { authorization: as("no_roles.user") });
    assert.equal(response.status, 200, response.body);
    const row = gateway.rows("incident").find((candidate) => candidate.number === "INC0000010");
    assert.equal(row?.sys_created_by, "create.user");
  });

  test("Basic user admin, x509 run_as soap_query → insert refused: Insufficient rights to perform insert on incident, nothing written", async () => {
    const before = gateway.rows("incident");
    const response = await postSoap(gateway, "incident", signedInsert("INC0000011", asQuery), { authorization: as("admin.user") });
    assert.equal(response.status, 500, response.body);
    assert.equal(textOf(response.body, "faultstring"), "Insufficient rights to perform insert on incident");
    assert.equal(textOf(response.body, "faultcode"), "soapenv:Client");
    assert.deepEqual(gateway.rows("incident"), before);
  });

  test("without a signature there is no run-as user: unsigned, Basic user without roles → SOAP request not Signed, nothing written", async () => {
    const before = gateway.rows("incident");
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>INC0000012</number>"), {
      authorization: as("no_roles.user"),
    });
    assert.equal(response.status, 500, response.body);
    assert.equal(textOf(response.body, "faultstring"), "SOAP request not Signed. Policy requires signing");
    assert.equal(textOf(response.body, "faultcode"), "wsse:InvalidSecurity");
    assert.deepEqual(gateway.rows("incident"), before);
  });
});
