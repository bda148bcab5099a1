/**
 * Configuration reload (SPEC §2): on reload() (what SIGHUP calls) and on a
 * change of the files (watched, debounced), a valid new configuration is
 * swapped in, with its new tables and columns created first; an invalid
 * one is refused, logged with its file:line problems and counted, and the
 * running one keeps serving. A request in flight finishes under the
 * configuration it started with.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { DEFAULT_TABLES_YAML, DEFAULT_USERS_YAML, makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";
import { exitWithin, spawnServe, startSlowPost } from "../helpers/serve-process.js";
import { gatewayYaml, policyYaml, x509ProfileYaml } from "../helpers/wss-config.js";

const ALICE = basicAuth("alice", "alice-password");
const CAROL = basicAuth("carol", "carol-password");
const CAROL_YAML = `  - user_name: carol
    password: carol-password
    roles: [soap]
`;
const USERS_WITHOUT_ALICE = `users:
  - user_name: bob
    password: bob-password
    roles: [soap_query, itil]
`;
const insert = (number: string) => soapEnvelope("incident", "insert", `<number>${number}</number>`);

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

async function reloadCount(running: TestGateway, result: "success" | "failure"): Promise<number> {
  const text = await (await fetch(`${running.url}/metrics`)).text();
  const match = new RegExp(`^wss_gateway_config_reloads_total\\{result="${result}"\\} (\\d+)$`, "m").exec(text);
  return Number(match?.[1] ?? 0);
}

async function eventually(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await delay(50);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

describe("reload (SIGHUP)", () => {
  test("a user added to users.yaml may call after reload(), not before; counted as a success", async () => {
    gateway = await startTestGateway();
    const successes = await reloadCount(gateway, "success");
    assert.equal((await postSoap(gateway, "incident", insert("C-1"), { authorization: CAROL })).status, 401);
    writeFileSync(join(gateway.configDir, "users.yaml"), DEFAULT_USERS_YAML + CAROL_YAML);
    assert.equal((await gateway.reload()).kind, "reloaded");
    const response = await postSoap(gateway, "incident", insert("C-2"), { authorization: CAROL });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(gateway.rows("incident").map((row) => [row.number, row.sys_created_by]), [["C-2", "carol"]]);
    assert.equal(await reloadCount(gateway, "success"), successes + 1);
  });

  test("an invalid gateway.yaml is refused with file:line problems, logged and counted; the old configuration keeps serving", async () => {
    gateway = await startTestGateway();
    const failures = await reloadCount(gateway, "failure");
    const original = readFileSync(join(gateway.configDir, "gateway.yaml"), "utf8");
    writeFileSync(join(gateway.configDir, "gateway.yaml"), `${original}bogus_key: 1\nlimits:\n  max_body_bytes: lots\n`);
    writeFileSync(join(gateway.configDir, "users.yaml"), USERS_WITHOUT_ALICE);

    const result = await gateway.reload();
    const problems = [
      "gateway.yaml:7: bogus_key: unknown key",
      "gateway.yaml:9: limits.max_body_bytes: expected number, got string",
    ];
    assert.deepEqual(result, { kind: "refused", problems });
    const logged = gateway.logLines().find((line) => line.msg === "configuration reload refused; the running configuration stays");
    assert.deepEqual(logged?.problems, problems);
    assert.equal(logged?.level, 50);
    assert.equal(await reloadCount(gateway, "failure"), failures + 1);

    const response = await postSoap(gateway, "incident", insert("STILL-ALICE"), { authorization: ALICE });
    assert.equal(response.status, 200, "alice, removed by the refused configuration, is still served");
  });

  test("a new table in tables.yaml is created in the store and served after reload(); 404 before", async () => {
    gateway = await startTestGateway();
    const problemTable = `  - name: problem\n    columns:\n      title: {type: string, max_length: 80}\n`;
    const body = soapEnvelope("problem", "insert", "<title>disk full</title>");
    assert.equal((await postSoap(gateway, "problem", body, { authorization: ALICE })).status, 404);
    writeFileSync(join(gateway.configDir, "tables.yaml"), DEFAULT_TABLES_YAML + problemTable);
    assert.equal((await gateway.reload()).kind, "reloaded");
    const response = await postSoap(gateway, "problem", body, { authorization: ALICE });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(gateway.rows("problem").map((row) => [row.sys_id, row.title]), [[textOf(response.body, "sys_id"), "disk full"]]);
  });

  test("a new column is added to the stored table by reload() and accepted at once", async () => {
    gateway = await startTestGateway();
    writeFileSync(join(gateway.configDir, "tables.yaml"), `${DEFAULT_TABLES_YAML}      category: {type: string, max_length: 40}\n`);
    assert.equal((await gateway.reload()).kind, "reloaded");
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>N-1</number><category>network</category>"), {
      authorization: ALICE,
    });
    assert.equal(response.status, 200, response.body);
    assert.equal(gateway.rows("incident")[0]!.category, "network");
  });

  test("a column type the stored table cannot take is refused by the store; the old configuration stays", async () => {
    gateway = await startTestGateway();
    writeFileSync(join(gateway.configDir, "tables.yaml"), DEFAULT_TABLES_YAML.replace("priority: {type: integer}", "priority: {type: string}"));
    assert.deepEqual(await gateway.reload(), {
      kind: "refused",
      problems: [
        "tables.yaml: the store cannot serve this configuration: table incident: column priority is stored as INTEGER, but the configuration makes it string (TEXT)",
      ],
    });
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<priority>2</priority>"), { authorization: ALICE });
    assert.equal(response.status, 200, response.body);
    assert.equal(gateway.rows("incident")[0]!.priority, 2);
  });

  test("a request in flight finishes under the configuration it started with; the next one gets the new one", async () => {
    gateway = await startTestGateway();
    const slow = startSlowPost(gateway.url, "/incident.do?SOAP", insert("IN-FLIGHT"), 60, {
      "Content-Type": "text/xml; charset=utf-8",
      Authorization: ALICE,
    });
    await delay(300); // the request has started (its configuration is taken) and waits for the rest of its body
    writeFileSync(join(gateway.configDir, "users.yaml"), USERS_WITHOUT_ALICE);
    assert.equal((await gateway.reload()).kind, "reloaded");
    assert.equal((await postSoap(gateway, "incident", insert("AFTER"), { authorization: ALICE })).status, 401);

    slow.sendRest();
    const response = await slow.response;
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(gateway.rows("incident").map((row) => [row.number, row.sys_created_by]), [["IN-FLIGHT", "alice"]]);
  });
});

describe("reload on file change (watched, debounced)", () => {
  test("editing users.yaml is picked up without SIGHUP: one reload for a burst of writes", async () => {
    gateway = await startTestGateway({ watchConfig: true });
    const usersPath = join(gateway.configDir, "users.yaml");
    writeFileSync(usersPath, DEFAULT_USERS_YAML);
    writeFileSync(usersPath, DEFAULT_USERS_YAML + "\n");
    writeFileSync(usersPath, DEFAULT_USERS_YAML + CAROL_YAML);
    const running = gateway;
    await eventually(async () => (await postSoap(running, "incident", insert("W-1"), { authorization: CAROL })).status === 200, "carol admitted");
    await delay(400); // longer than the debounce: a second reload would have happened by now
    const reloads = gateway.logLines().filter((line) => line.msg === "configuration reloaded");
    assert.deepEqual(reloads.map((line) => line.trigger), ["file change"]);
  });

  test("an invalid edit is refused (logged and counted), the old configuration serves, and fixing the file is picked up", async () => {
    gateway = await startTestGateway({ watchConfig: true });
    const running = gateway;
    const failures = await reloadCount(running, "failure");
    writeFileSync(join(gateway.configDir, "users.yaml"), `${USERS_WITHOUT_ALICE}  - user_name: broken\n    roles: soap\n`);
    await eventually(async () => (await reloadCount(running, "failure")) === failures + 1, "the failure counted");
    const logged = gateway.logLines().find((line) => line.msg === "configuration reload refused; the running configuration stays");
    assert.deepEqual(logged?.problems, ["users.yaml:6: users[1].roles: expected list, got string"]);
    assert.equal((await postSoap(running, "incident", insert("OLD"), { authorization: ALICE })).status, 200);

    writeFileSync(join(gateway.configDir, "users.yaml"), USERS_WITHOUT_ALICE);
    await eventually(async () => (await postSoap(running, "incident", insert("NEW"), { authorization: ALICE })).status === 401, "alice refused");
  });

  test("replacing the pinned certificate file is picked up: the new signer is admitted, the old one no longer", async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), "wss-reload-pki-"));
    const oldSigner = makeCertificate(pkiDir, "old", { key: "rsa2048" });
    const newSigner = makeCertificate(pkiDir, "new", { key: "rsa2048" });
    const configDir = makeConfigDir(
      {
        gateway: gatewayYaml(),
        profiles: `profiles:\n${x509ProfileYaml("Partner certificate", "certs/partner.pem")}`,
        policies: `policies:\n${policyYaml(["Partner certificate"])}`,
      },
      { "certs/partner.pem": oldSigner.certPem },
    );
    gateway = await startTestGateway({ configDir, watchConfig: true });
    const running = gateway;
    const signedBy = (signer: typeof oldSigner, number: string) =>
      signEnvelope(insert(number), { key: signer.keyPem, cert: signer.certPem, timestampSeconds: 300 });
    const faultOf = async (xml: string) => {
      const response = await postSoap(running, "incident", xml, { authorization: ALICE });
      return response.status === 200 ? "admitted" : textOf(response.body, "faultstring");
    };
    assert.equal(await faultOf(signedBy(oldSigner, "OLD-1")), "admitted");
    assert.equal(await faultOf(signedBy(newSigner, "NEW-1")), "Failed to authenticate WS-Security");

    writeFileSync(join(configDir, "certs/partner.pem"), newSigner.certPem);
    await eventually(async () => (await faultOf(signedBy(newSigner, "NEW-2"))) === "admitted", "the new certificate pinned");
    assert.equal(await faultOf(signedBy(oldSigner, "OLD-2")), "Failed to authenticate WS-Security");
    assert.deepEqual(gateway.rows("incident").map((row) => row.number).sort(), ["NEW-2", "OLD-1"]);
  });
});

describe("SIGHUP to the serve process", () => {
  test("kill -HUP reloads: a user added to users.yaml is admitted, the reload is logged with trigger SIGHUP", async () => {
    const configDir = makeConfigDir();
    const dbPath = join(mkdtempSync(join(tmpdir(), "wss-reload-db-")), "gateway.db");
    const served = await spawnServe(["--config", configDir, "--store", `sqlite:${dbPath}`]);
    try {
      writeFileSync(join(configDir, "users.yaml"), DEFAULT_USERS_YAML + CAROL_YAML);
      served.child.kill("SIGHUP");
      await eventually(() => served.logLines().some((line) => line.msg === "configuration reloaded" && line.trigger === "SIGHUP"), "the SIGHUP reload");
      const response = await postSoap(served, "incident", insert("HUP-1"), { authorization: CAROL });
      assert.equal(response.status, 200, response.body);
    } finally {
      served.child.kill("SIGTERM");
      assert.deepEqual(await exitWithin(served, 15_000), { code: 0, signal: null });
    }
  });
});
