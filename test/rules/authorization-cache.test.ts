/**
 * Role and ACL decisions are computed once per configuration and reused
 * (src/pipeline/authorize.ts). These prove the reuse never outlives or
 * crosses what it was computed for: a reload that changes ACLs or roles
 * decides the very next request by the new rules, in both directions, and
 * two users asking for the same operation on the same table each get their
 * own decision, in any order. Real HTTP on 127.0.0.1, a real SQLite file.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";

const GATEWAY_YAML = `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: false
strict_security: true
`;

const USERS_YAML = (aliceRoles: string) => `users:
  - user_name: alice
    password: alice-password
    roles: ${aliceRoles}
  - user_name: bob
    password: bob-password
    roles: [soap_create, itil, secret_reader]
`;

const ACLS_YAML = (readRoles: string, fieldRule = "") => `acls:
  - table: incident
    operation: read
    roles: ${readRoles}
  - table: incident
    operation: create
    roles: []
${fieldRule}`;

const ALICE = basicAuth("alice", "alice-password");
const BOB = basicAuth("bob", "bob-password");

const gateways: TestGateway[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

async function start(): Promise<TestGateway> {
  const gateway = await startTestGateway({ files: { gateway: GATEWAY_YAML, users: USERS_YAML("[soap_query]"), acls: ACLS_YAML("[]") } });
  gateways.push(gateway);
  const inserted = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>CACHE-1</number><short_description>cached</short_description>"), { authorization: BOB });
  assert.equal(inserted.status, 200);
  return gateway;
}

async function getRecords(gateway: TestGateway, authorization: string): Promise<{ status: number; fault: string | undefined; shortDescription: string | undefined }> {
  const response = await postSoap(gateway, "incident", soapEnvelope("incident", "getRecords", "<number>CACHE-1</number>"), { authorization });
  return { status: response.status, fault: textOf(response.body, "faultstring"), shortDescription: textOf(response.body, "short_description") };
}

async function reloadWith(gateway: TestGateway, file: "acls" | "users", yaml: string): Promise<void> {
  writeFileSync(join(gateway.configDir, `${file}.yaml`), yaml);
  const result = await gateway.reload();
  assert.equal(result.kind, "reloaded", JSON.stringify(result));
}

const REFUSED = { status: 500, fault: "Insufficient rights to perform getRecords on incident", shortDescription: undefined };
const ALLOWED = { status: 200, fault: undefined, shortDescription: "cached" };

describe("role/ACL decisions reused per configuration", () => {
  test("a record ACL narrowed on reload refuses the very next request of a user allowed (and decided) before; widened again, it passes", async () => {
    const gateway = await start();
    assert.deepEqual(await getRecords(gateway, ALICE), ALLOWED);
    assert.deepEqual(await getRecords(gateway, ALICE), ALLOWED);
    await reloadWith(gateway, "acls", ACLS_YAML("[itil]"));
    assert.deepEqual(await getRecords(gateway, ALICE), REFUSED);
    await reloadWith(gateway, "acls", ACLS_YAML("[]"));
    assert.deepEqual(await getRecords(gateway, ALICE), ALLOWED);
  });

  test("a field rule added on reload hides its column from the next answer", async () => {
    const gateway = await start();
    assert.deepEqual(await getRecords(gateway, ALICE), ALLOWED);
    await reloadWith(gateway, "acls", ACLS_YAML("[]", "  - table: incident\n    field: short_description\n    operation: read\n    roles: [secret_reader]\n"));
    assert.deepEqual(await getRecords(gateway, ALICE), { status: 200, fault: undefined, shortDescription: undefined });
  });

  test("a user's SOAP role removed in users.yaml on reload → refused at once", async () => {
    const gateway = await start();
    assert.deepEqual(await getRecords(gateway, ALICE), ALLOWED);
    await reloadWith(gateway, "users", USERS_YAML("[soap_create]"));
    assert.deepEqual(await getRecords(gateway, ALICE), REFUSED);
  });

  test("two users, same table and operation, interleaved: each keeps its own decision (soap_query passes, soap_create is refused)", async () => {
    const gateway = await start();
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(await getRecords(gateway, round % 2 === 0 ? ALICE : BOB), round % 2 === 0 ? ALLOWED : REFUSED);
      assert.deepEqual(await getRecords(gateway, round % 2 === 0 ? BOB : ALICE), round % 2 === 0 ? REFUSED : ALLOWED);
    }
  });
});
