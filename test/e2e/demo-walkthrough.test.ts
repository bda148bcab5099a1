/**
 * The README's "Try it" section, replayed over real HTTP against the
 * repository's own demo configuration (policies/, certs/ — read only) and a
 * real SQLite file. The envelopes and credentials are taken from README.md
 * itself, so that the README cannot drift from what the gateway does.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const DEMO_KEY_PATH = "certs/demo-partner.key";
const DEMO_CERT_PATH = "certs/demo-partner.pem";

const PARTNER = basicAuth("partner.soap", "partner-demo-password");
const INTEGRATION = basicAuth("integration", "integration-demo-password");
const ADMIN = basicAuth("admin", "admin-demo-password");

/** The body of the README heredoc that follows `marker` (up to the closing `XML` line). */
function heredocAfter(marker: string): string {
  const start = README.indexOf(marker);
  assert.notEqual(start, -1, `README.md no longer contains ${JSON.stringify(marker)}`);
  const match = /<<'XML'\n([\s\S]*?)\nXML\n/.exec(README.slice(start));
  assert.ok(match, `README.md: no <<'XML' heredoc after ${JSON.stringify(marker)}`);
  return `${match[1]}\n`;
}

const INSERT_XML = heredocAfter("cat > insert.xml");

/** `sed 's/Printer on fire/Printer is fine/'`: the first occurrence on each line. */
function sedPrinterIsFine(xml: string): string {
  return xml
    .split("\n")
    .map((line) => line.replace("Printer on fire", "Printer is fine"))
    .join("\n");
}

function signWithDemoKey(xml: string): string {
  return signEnvelope(xml, {
    key: readFileSync(join(ROOT, DEMO_KEY_PATH), "utf8"),
    cert: readFileSync(join(ROOT, DEMO_CERT_PATH), "utf8"),
    timestampSeconds: 300,
  });
}

function assertFault(response: { status: number; body: string }, faultstring: string, faultcode: string): void {
  assert.equal(response.status, 500, response.body);
  assert.equal(textOf(response.body, "faultstring"), faultstring, response.body);
  assert.equal(textOf(response.body, "faultcode"), faultcode, response.body);
}

describe("README 'Try it' on the demo configuration (policies/)", () => {
  let gateway: TestGateway;
  let signed: string;

  before(async () => {
    gateway = await startTestGateway({ configDir: join(ROOT, "policies") });
    signed = signWithDemoKey(INSERT_XML);
  });
  after(() => gateway.close());

  test("the README shows the commands this walkthrough replays", () => {
    assert.ok(README.includes(`--key ${DEMO_KEY_PATH} --cert ${DEMO_CERT_PATH} --timestamp 300`));
    assert.ok(README.includes("-u partner.soap:partner-demo-password -H 'Content-Type: text/xml'"));
    assert.ok(README.includes("'http://localhost:8080/incident.do?SOAP'"));
    assert.ok(README.includes("sed 's/Printer on fire/Printer is fine/' insert.signed.xml > insert.altered.xml"));
    assert.ok(README.includes('faultcode wsse:FailedCheck, faultstring "Unable to verify signed request"'));
    assert.ok(README.includes('faultstring "WS-Security message replayed"'));
    assert.ok(INSERT_XML.includes("<number>INC0010001</number>"));
  });

  test("signed with the demo partner key, Basic partner.soap → 200, written by the x509 profile's run_as_user", async () => {
    const response = await postSoap(gateway, "incident", signed, { authorization: PARTNER });
    assert.equal(response.status, 200, response.body);
    assert.match(response.body, /<ns:insertResponse xmlns:ns="http:\/\/www\.service-now\.com\/incident">/);
    const sysId = textOf(response.body, "sys_id");
    assert.match(sysId ?? "", /^[0-9a-f]{32}$/);
    assert.equal(textOf(response.body, "number"), "INC0010001");
    const rows = gateway.rows("incident");
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.sys_id, sysId);
    assert.equal(row.number, "INC0010001");
    assert.equal(row.short_description, "Printer on fire");
    assert.equal(row.priority, 1);
    assert.equal(row.sys_created_by, "partner.soap");
    assert.equal(row.sys_updated_by, "partner.soap");
  });

  test("the accepted request's audit line names the policy and each profile's result", () => {
    const audits = gateway
      .logLines()
      .map((line) => line.audit as Record<string, unknown> | undefined)
      .filter((audit) => audit?.outcome === "ok" && audit.operation === "insert");
    const audit = audits[0]!;
    assert.equal(audit.policy, "Default Security Policy");
    assert.equal(audit.basicUser, "partner.soap");
    assert.equal(audit.sessionUser, "partner.soap");
    const profiles = audit.profiles as { profile: string; result: string }[];
    assert.deepEqual(
      profiles.map(({ profile, result }) => [profile, result]),
      [
        ["Partner certificate", "passed"],
        ["Partner credentials", "failed"],
      ],
    );
  });

  test("the signed Body altered by the README's sed → Unable to verify signed request (wsse:FailedCheck), nothing written", async () => {
    const altered = sedPrinterIsFine(signed);
    assert.notEqual(altered, signed);
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", altered, { authorization: PARTNER });
    assertFault(response, "Unable to verify signed request", "wsse:FailedCheck");
    assert.equal(gateway.rows("incident").length, before);
  });

  test("the first signed request sent a second time → WS-Security message replayed, nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", signed, { authorization: PARTNER });
    assertFault(response, "WS-Security message replayed", "wsse:FailedAuthentication");
    assert.equal(gateway.rows("incident").length, before);
  });

  test("insert.xml sent unsigned by partner.soap → SOAP request not Signed (wsse:InvalidSecurity), nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", INSERT_XML, { authorization: PARTNER });
    assertFault(response, "SOAP request not Signed. Policy requires signing", "wsse:InvalidSecurity");
    assert.equal(gateway.rows("incident").length, before);
  });

  test("`wss-gateway sign` as a child process, with the README's flags → 200 and the row written by partner.soap", async () => {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "sign", "--key", DEMO_KEY_PATH, "--cert", DEMO_CERT_PATH, "--timestamp", "300"],
      { cwd: ROOT, input: INSERT_XML.replace("INC0010001", "INC0010009"), encoding: "utf8" },
    );
    assert.equal(child.status, 0, child.stderr);
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", child.stdout, { authorization: PARTNER });
    assert.equal(response.status, 200, response.body);
    const rows = gateway.rows("incident");
    assert.equal(rows.length, before + 1);
    const row = rows.find((candidate) => candidate.number === "INC0010009");
    assert.equal(row?.sys_created_by, "partner.soap");
  });

  test("the internal integration user skips WS-Security: the README's unsigned insert → 200, written by integration", async () => {
    const insert = heredocAfter("# insert\n");
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", insert, { authorization: INTEGRATION });
    assert.equal(response.status, 200, response.body);
    const rows = gateway.rows("incident");
    assert.equal(rows.length, before + 1);
    const row = rows.find((candidate) => candidate.number === "INC0010002");
    assert.equal(row?.sys_created_by, "integration");
    assert.equal(row?.priority, 2);
  });

  test("the README's getRecords with an encoded query, by the integration user → the active priority-2 incident", async () => {
    const query = heredocAfter("# getRecords with an encoded query");
    const response = await postSoap(gateway, "incident", query, { authorization: INTEGRATION });
    assert.equal(response.status, 200, response.body);
    const results = response.body.match(/<getRecordsResult>/g) ?? [];
    // Only INC0010002 has active=true; the partner's inserts leave `active` empty.
    assert.equal(results.length, 1, response.body);
    assert.equal(textOf(response.body, "number"), "INC0010002");
  });
});

describe("docs/security.md recipes and 'Combining profiles', on the demo configuration and on copies of it", () => {
  let demo: TestGateway;
  let workDir: string;
  const started: TestGateway[] = [];
  const insert = (number: string) => soapEnvelope("incident", "insert", `<number>${number}</number>`);

  /** A copy of policies/ and certs/ with policies.yaml replaced (and profiles.yaml appended to). */
  async function startCopy(name: string, policiesYaml: string, profilesAppend = ""): Promise<TestGateway> {
    const root = join(workDir, name);
    cpSync(join(ROOT, "policies"), join(root, "policies"), { recursive: true });
    cpSync(join(ROOT, "certs"), join(root, "certs"), { recursive: true });
    writeFileSync(join(root, "policies", "policies.yaml"), policiesYaml);
    if (profilesAppend) appendFileSync(join(root, "policies", "profiles.yaml"), profilesAppend);
    const gateway = await startTestGateway({ configDir: join(root, "policies") });
    started.push(gateway);
    return gateway;
  }

  before(async () => {
    demo = await startTestGateway({ configDir: join(ROOT, "policies") });
    workDir = mkdtempSync(join(tmpdir(), "e2e-demo-copies-"));
  });
  after(async () => {
    await Promise.all([demo.close(), ...started.map((gateway) => gateway.close())]);
    rmSync(workDir, { recursive: true, force: true });
  });

  test("demo: partner.soap's UsernameToken alone (recipe 2's client) → SOAP request not Signed, nothing written", async () => {
    const before = demo.rows("incident").length;
    const xml = signEnvelope(insert("INC0020001"), { username: "partner.soap", password: "partner-demo-password" });
    assertFault(await postSoap(demo, "incident", xml, { authorization: PARTNER }), "SOAP request not Signed. Policy requires signing", "wsse:InvalidSecurity");
    assert.equal(demo.rows("incident").length, before);
  });

  test("demo: a signature by an unpinned key next to partner.soap's valid UsernameToken → Failed to authenticate WS-Security", async () => {
    const other = makeCertificate(workDir, "unpinned", { key: "rsa2048" });
    const before = demo.rows("incident").length;
    const xml = signEnvelope(insert("INC0020002"), {
      key: other.keyPem,
      cert: other.certPem,
      timestampSeconds: 300,
      username: "partner.soap",
      password: "partner-demo-password",
    });
    assertFault(await postSoap(demo, "incident", xml, { authorization: PARTNER }), "Failed to authenticate WS-Security", "wsse:FailedAuthentication");
    assert.equal(demo.rows("incident").length, before);
  });

  test("demo: the demo signature plus admin's UsernameToken → 200, the session is the matched user admin", async () => {
    const xml = signWithDemoKeyAndToken(insert("INC0020003"), "admin", "admin-demo-password");
    const response = await postSoap(demo, "incident", xml, { authorization: PARTNER });
    assert.equal(response.status, 200, response.body);
    assert.equal(demo.rows("incident").find((row) => row.number === "INC0020003")?.sys_created_by, "admin");
  });

  test("recipe 2 (authenticate_with_user, require_signed false): its client → 200, written by the matched user partner.soap", async () => {
    const gateway = await startCopy(
      "recipe-2",
      "policies:\n  - name: Default Security Policy\n    type: inbound\n    require_signed: false\n    authenticate: all\n    profiles: [Partner credentials]\n",
    );
    const xml = signEnvelope(insert("INC0020004"), { username: "partner.soap", password: "partner-demo-password" });
    const response = await postSoap(gateway, "incident", xml, { authorization: ADMIN });
    assert.equal(response.status, 200, response.body);
    assert.equal(gateway.rows("incident")[0]?.sys_created_by, "partner.soap");
  });

  test("recipe 3 (specify_user, bind_session): `sign --username partner --password … --digest` → 200, run as partner.soap", async () => {
    const gateway = await startCopy(
      "recipe-3",
      // The demo's Shared secret profile has bind_session: true, so run_as_user applies.
      "policies:\n  - name: Default Security Policy\n    type: inbound\n    require_signed: false\n    authenticate: all\n    profiles: [Shared secret]\n",
    );
    const xml = signEnvelope(insert("INC0020005"), { username: "partner", password: "shared-demo-secret", passwordType: "digest" });
    const response = await postSoap(gateway, "incident", xml, { authorization: ADMIN });
    assert.equal(response.status, 200, response.body);
    assert.equal(gateway.rows("incident")[0]?.sys_created_by, "partner.soap");
  });
});

function signWithDemoKeyAndToken(xml: string, username: string, password: string): string {
  return signEnvelope(xml, {
    key: readFileSync(join(ROOT, DEMO_KEY_PATH), "utf8"),
    cert: readFileSync(join(ROOT, DEMO_CERT_PATH), "utf8"),
    timestampSeconds: 300,
    username,
    password,
  });
}
