/**
 * `wss-gateway explain`: the whole decision on a saved request, step by
 * step, with the server's own stages, without running the operation or
 * spending nonces. Real configuration directories, real certificates (openssl)
 * and real signatures (the signer library).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { runExplain } from "../../src/cli/explain.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";

const SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";

function envelope(table: string, operation: string, children: string): string {
  return (
    `<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:tns="http://www.service-now.com/${table}">` +
    `<soapenv:Header/><soapenv:Body><tns:${operation}>${children}</tns:${operation}></soapenv:Body></soapenv:Envelope>`
  );
}

const workDir = mkdtempSync(join(tmpdir(), "wss-gateway-explain-"));
const partner = makeCertificate(workDir, "partner", { key: "rsa2048" });

const configDir = makeConfigDir(
  {
    gateway: `basic_auth:
  required: true
ws_security:
  required: true
  default_policy: Default Security Policy
strict_security: true
`,
    profiles: `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    bind_session: true
    run_as_user: partner.soap
    certificate: partner.pem
  - name: Partner credentials
    type: username
    order: 200
    action: authenticate_with_user
    user_field: user_name
    bind_session: true
`,
    policies: `policies:
  - name: Default Security Policy
    type: inbound
    require_signed: false
    authenticate: at_least_one
    profiles: [Partner certificate, Partner credentials]
`,
    users: `users:
  - user_name: basic.user
    password: basic-password
    roles: [soap_query]
  - user_name: partner.soap
    password: partner-password
    roles: [soap_query]
`,
    acls: `acls:
  - table: incident
    operation: read
`,
  },
  { "partner.pem": partner.certPem },
);

async function explain(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stdout.on("data", (c: Buffer) => chunks.stdout.push(c));
  stderr.on("data", (c: Buffer) => chunks.stderr.push(c));
  const status = await runExplain(argv, { stdin: new PassThrough(), stdout, stderr });
  return { status, stdout: Buffer.concat(chunks.stdout).toString("utf8"), stderr: Buffer.concat(chunks.stderr).toString("utf8") };
}

let fileCount = 0;
function saveRequest(xml: string): string {
  const path = join(workDir, `request-${++fileCount}.xml`);
  writeFileSync(path, xml);
  return path;
}

function usernameTokenRequest(operation: string, password = "partner-password"): string {
  return signEnvelope(envelope("incident", operation, "<number>INC0001</number>"), {
    username: "partner.soap",
    password,
    passwordType: "text",
  });
}

const BASIC = ["--config", configDir, "--user", "basic.user", "--password", "basic-password"];

describe("explain", () => {
  test("UsernameToken request → admitted, the session bound to the token's user, each stage printed", async () => {
    const file = saveRequest(usernameTokenRequest("getRecords"));
    const { status, stdout } = await explain([...BASIC, file]);
    assert.equal(status, 0, stdout);
    const lines = stdout.split("\n");
    assert.ok(lines.includes("1. XML safety and envelope: SOAP 1.1 envelope, ok"), stdout);
    assert.ok(lines.includes("   table: incident (named by the operation's namespace)"), stdout);
    assert.ok(lines.includes("2. Basic auth: basic.user authenticated (password checked)"), stdout);
    assert.ok(lines.includes('4. WS-Security: admitted, policy "Default Security Policy"'), stdout);
    assert.ok(lines.some((l) => l.startsWith('   profile "Partner credentials" (username): passed as partner.soap')), stdout);
    assert.ok(lines.includes("5. session user: partner.soap (bound by WS-Security)"), stdout);
    assert.ok(lines.includes("   operation: getRecords on incident"), stdout);
    assert.ok(lines.includes("   - role soap_query allows getRecords on incident"), stdout);
    assert.ok(lines.includes("   - ACL acls.yaml:2 (incident read any known user) passed: any known user"), stdout);
    assert.equal(lines.at(-2), "result: admitted: getRecords on incident would run as partner.soap");
  });

  test("explaining the same UsernameToken twice → admitted both times: explain never spends a nonce", async () => {
    const file = saveRequest(usernameTokenRequest("get"));
    assert.equal((await explain([...BASIC, file])).status, 0);
    const second = await explain([...BASIC, file]);
    assert.equal(second.status, 0, second.stdout);
  });

  test("role refusal → Insufficient rights, exit 1, trace names the missing role", async () => {
    const file = saveRequest(usernameTokenRequest("insert"));
    const { status, stdout } = await explain([...BASIC, file]);
    assert.equal(status, 1);
    assert.ok(stdout.includes("6. roles and ACLs: refused\n   - strict_security is on: checking SOAP roles and ACLs for partner.soap\n"), stdout);
    assert.ok(stdout.includes("   - no SOAP role allows insert on incident (user roles: [soap_query])\n"), stdout);
    assert.ok(stdout.endsWith('result: refused: HTTP 500 SOAP fault Client "Insufficient rights to perform insert on incident"\n'), stdout);
  });

  test("wrong UsernameToken password → Failed to authenticate WS-Security; no password in the output", async () => {
    const file = saveRequest(usernameTokenRequest("get", "not-the-password"));
    const { status, stdout } = await explain([...BASIC, file]);
    assert.equal(status, 1);
    assert.ok(stdout.includes("4. WS-Security: refused"), stdout);
    assert.ok(stdout.endsWith('result: refused: HTTP 500 SOAP fault wsse:FailedAuthentication "Failed to authenticate WS-Security"\n'), stdout);
    assert.ok(!stdout.includes("not-the-password") && !stdout.includes("partner-password") && !stdout.includes("basic-password"));
  });

  test("signed request explained an hour after its Timestamp → WS-Security message expired; --at its signing time → admitted", async () => {
    const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600 * 1000);
    const xml = signEnvelope(envelope("incident", "get", "<sys_id>0123456789abcdef0123456789abcdef</sys_id>"), {
      key: partner.keyPem,
      cert: partner.certPem,
      timestampSeconds: 300,
      clock: new ManualClock(signedAt),
    });
    const file = saveRequest(xml);
    const late = await explain([...BASIC, file]);
    assert.equal(late.status, 1, late.stdout);
    assert.ok(late.stdout.endsWith('result: refused: HTTP 500 SOAP fault wsu:MessageExpired "WS-Security message expired"\n'), late.stdout);

    const onTime = await explain([...BASIC, "--at", new Date(signedAt.getTime() + 10_000).toISOString(), file]);
    assert.equal(onTime.status, 0, onTime.stdout);
    assert.ok(onTime.stdout.includes('   profile "Partner certificate" (x509): passed as partner.soap'), onTime.stdout);
    assert.ok(onTime.stdout.includes("5. session user: partner.soap (bound by WS-Security)\n"), onTime.stdout);
    assert.ok(onTime.stdout.endsWith("result: admitted: get on incident would run as partner.soap\n"), onTime.stdout);
  });

  test("wrong Basic password → HTTP 401, the reason does not say which part was wrong", async () => {
    const file = saveRequest(usernameTokenRequest("get"));
    const { status, stdout } = await explain(["--config", configDir, "--user", "basic.user", "--password", "nope", file]);
    assert.equal(status, 1);
    assert.ok(stdout.includes("2. Basic auth: refused: wrong credentials, or unknown or inactive user\n"), stdout);
    assert.ok(stdout.endsWith("result: refused: HTTP 401\n"), stdout);
    assert.ok(!stdout.includes("nope"));
  });

  test("unknown user without --password → HTTP 401 before any WS-Security", async () => {
    const file = saveRequest(usernameTokenRequest("get"));
    const { status, stdout } = await explain(["--config", configDir, "--user", "nobody", file]);
    assert.equal(status, 1);
    assert.ok(stdout.includes("2. Basic auth: refused: unknown user nobody\n"), stdout);
    assert.ok(!stdout.includes("4. WS-Security"));
  });

  test("DOCTYPE in the saved request → Malformed SOAP request (400)", async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>${envelope("incident", "get", "<sys_id>&e;</sys_id>")}`;
    const { status, stdout } = await explain([...BASIC, saveRequest(xml)]);
    assert.equal(status, 1);
    assert.ok(stdout.includes("1. XML safety and envelope: refused: "), stdout);
    assert.ok(stdout.endsWith('result: refused: HTTP 400 SOAP fault Client "Malformed SOAP request"\n'), stdout);
  });

  test("a header block for us with mustUnderstand=1 that the gateway does not process → MustUnderstand fault", async () => {
    const xml = envelope("incident", "get", "<sys_id>x</sys_id>").replace(
      "<soapenv:Header/>",
      `<soapenv:Header><tr:Trace xmlns:tr="urn:t" soapenv:mustUnderstand="1"/></soapenv:Header>`,
    );
    const { status, stdout } = await explain([...BASIC, saveRequest(xml)]);
    assert.equal(status, 1);
    assert.ok(stdout.includes("1. XML safety and envelope: refused: header tr:Trace must be understood"), stdout);
    assert.ok(stdout.endsWith('result: refused: HTTP 500 SOAP fault MustUnderstand "Header not understood: tr:Trace"\n'), stdout);
  });

  test("operation namespace of an unpublished table → 404", async () => {
    const { status, stdout } = await explain([...BASIC, saveRequest(envelope("sys_user", "get", ""))]);
    assert.equal(status, 1);
    assert.ok(stdout.endsWith("result: refused: HTTP 404\n"), stdout);
  });

  test("missing --user → usage error 2; invalid configuration → 3 with file:line problems", async () => {
    const file = saveRequest(usernameTokenRequest("get"));
    assert.equal((await explain(["--config", configDir, file])).status, 2);
    assert.equal((await explain(["--config", configDir, "--user", "basic.user"])).status, 2);
    const broken = makeConfigDir({ acls: "acls:\n  - table: incident\n    operation: peek\n" });
    const { status, stderr } = await explain(["--config", broken, "--user", "basic.user", file]);
    assert.equal(status, 3);
    assert.match(stderr, /^acls\.yaml:3: acls\[0\]\.operation: /m);
  });
});
