/**
 * docs/clients.md, run verbatim: the zeep recipe (a signed Timestamp) and the
 * node-soap WSSecurityCert recipe against a gateway on a copy of the demo
 * configuration; the WSSecurityPlusCert double-Timestamp pitfall and its fix;
 * and the fault → cause → fix table names every fault of the catalogue.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import soap from "soap";
import { FAULTS } from "../../src/soap/faults.js";
import { basicAuth, startTestGateway, type TestGateway } from "../helpers/gateway.js";

const ROOT = join(import.meta.dirname, "../..");
const DOC = readFileSync(join(ROOT, "docs/clients.md"), "utf8");
const run = promisify(execFile);

/** The first fenced block of `language` after the heading `heading`. */
function block(heading: string, language: string): string {
  const start = DOC.indexOf(heading);
  assert.notEqual(start, -1, `docs/clients.md has no heading ${heading}`);
  const match = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(DOC.slice(start));
  assert.ok(match, `docs/clients.md: no ${language} block after ${heading}`);
  return match[1]!;
}

describe("docs/clients.md recipes, verbatim, against the demo configuration", () => {
  let gateway: TestGateway;
  let work: string;

  before(async () => {
    const root = mkdtempSync(join(tmpdir(), "clients-cookbook-"));
    cpSync(join(ROOT, "policies"), join(root, "policies"), { recursive: true });
    cpSync(join(ROOT, "certs"), join(root, "certs"), { recursive: true });
    gateway = await startTestGateway({ configDir: join(root, "policies") });
    // zeep writes wsu:Created in whole seconds: one signed in the second the gateway started would fall
    // before the replay cache's epoch (its start, in ms) and be rightly refused as expired. The recipes run
    // the real clock, so the test waits for the next whole second.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    // The working directory of a partner: the WSDL (fetched as the doc says), the demo key pair, node_modules for node.
    work = join(root, "client");
    cpSync(join(ROOT, "certs"), join(work, "certs"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(work, "node_modules"));
    const wsdl = await fetch(`${gateway.url}/incident.do?WSDL`, { headers: { authorization: basicAuth("admin", "admin-demo-password") } });
    assert.equal(wsdl.status, 200);
    writeFileSync(join(work, "incident.wsdl"), await wsdl.text());
  });
  after(() => gateway.close());

  const rowsBy = (number: string) => gateway.rows("incident").filter((row) => row.number === number);

  test("Python zeep with a signed Timestamp → inserted, run as partner.soap", async () => {
    writeFileSync(join(work, "zeep_recipe.py"), block("## Python zeep", "python"));
    const { stdout } = await run("/usr/bin/python3", ["zeep_recipe.py"], { cwd: work });
    const [row] = rowsBy("INC0030001");
    assert.ok(row, "the record was inserted");
    assert.equal(stdout.trim(), row.sys_id);
    assert.equal(row.sys_created_by, "partner.soap");
  });

  test("node-soap WSSecurityCert → inserted, run as partner.soap", async () => {
    const code = block("## node-soap `WSSecurityCert`", "js").replace("http://localhost:8080", gateway.url);
    writeFileSync(join(work, "node_soap_recipe.mjs"), code);
    const { stdout } = await run(process.execPath, ["node_soap_recipe.mjs"], { cwd: work });
    const [row] = rowsBy("INC0030002");
    assert.ok(row, "the record was inserted");
    assert.equal(stdout.trim(), row.sys_id);
    assert.equal(row.sys_created_by, "partner.soap");
  });

  test("docs/wsdl.md's zeep example (the demo's integration user) → inserted, read back, keys found", async () => {
    const wsdlDoc = readFileSync(join(ROOT, "docs/wsdl.md"), "utf8");
    const match = /### Python zeep\n[\s\S]*?```python\n([\s\S]*?)```/.exec(wsdlDoc);
    assert.ok(match, "docs/wsdl.md: no zeep example");
    const code = `${match[1]!.replace("http://localhost:8080", gateway.url)}\nprint(record.sys_created_by, keys.count)\n`;
    writeFileSync(join(work, "wsdl_zeep.py"), code);
    const { stdout } = await run("/usr/bin/python3", ["wsdl_zeep.py"], { cwd: work });
    assert.match(stdout.trim(), /^integration [1-9]\d*$/);
  });

  async function plusCertClient(usernameTokenTimestamp: boolean) {
    const client = await soap.createClientAsync(join(work, "incident.wsdl"));
    client.setEndpoint(`${gateway.url}/incident.do?SOAP`);
    client.addHttpHeader("Authorization", basicAuth("partner.soap", "partner-demo-password"));
    const key = readFileSync(join(ROOT, "certs/demo-partner.key"));
    const cert = readFileSync(join(ROOT, "certs/demo-partner.pem"));
    client.setSecurity(
      new soap.WSSecurityPlusCert(
        new soap.WSSecurity("partner.soap", "partner-demo-password", { hasTimeStamp: usernameTokenTimestamp, passwordType: "PasswordText" }),
        new soap.WSSecurityCert(key, cert, "", { hasTimeStamp: true }),
      ),
    );
    return client;
  }

  test("WSSecurityPlusCert with both default Timestamps → refused, nothing written", async () => {
    const client = await plusCertClient(true);
    const failure = await client.insertAsync({ number: "INC0030003", priority: 3 }).then(
      () => undefined,
      (error: { root?: { Envelope?: { Body?: { Fault?: { faultstring?: string } } } } }) => error.root?.Envelope?.Body?.Fault?.faultstring,
    );
    assert.equal(failure, "Failed to extract principal(s) from request");
    assert.deepEqual(rowsBy("INC0030003"), []);
  });

  test("WSSecurityPlusCert with the UsernameToken's Timestamp off (the fix) → inserted", async () => {
    const client = await plusCertClient(false);
    const [created] = await client.insertAsync({ number: "INC0030004", priority: 3 });
    assert.equal(rowsBy("INC0030004")[0]?.sys_id, created.sys_id);
  });
});

describe("docs/clients.md: fault → cause → fix", () => {
  test("every fault of the catalogue has a row", () => {
    const table = DOC.slice(DOC.indexOf("## Fault → cause → fix"));
    for (const [id, fault] of Object.entries(FAULTS)) {
      assert.ok(table.includes(`| \`${fault.string}\` | ${fault.http} |`), `${id}: "${fault.string}" (HTTP ${fault.http}) has no row`);
    }
  });
});
