/**
 * `wss-gateway call` (SPEC §1, §2 outbound policies) against this gateway
 * over HTTPS with inbound mutual TLS: a CA, the server's and the client's
 * certificates and the WS-Security signer are made with openssl at test
 * time. Each request `call` signs is captured as sent and verified again
 * with xmlsec1; the gateway's own verdict, the rows in its SQLite file and
 * its audit line say what was admitted.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { runCall } from "../../src/cli/call.js";
import type { Exchange } from "../../src/outbound/transport.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { makeIssuedCertificate } from "../helpers/pki.js";
import { verifyWithXmlsec1 } from "../helpers/signers.js";

const PASSWORD_ENV = "OUTBOUND_TEST_ALICE_PASSWORD";
const KEY_REFERENCES = ["bst", "issuer_serial", "ski", "thumbprint", "x509_data"] as const;
const TLS = `    tls_client_certificate: certs/client.pem
    tls_client_key: {file: keys/client.key}
    tls_ca_certificates: [certs/ca.pem]
`;
const BASIC = `    basic_auth: {user: alice, password: {env: ${PASSWORD_ENV}}}
`;

const PROFILES = `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    bind_session: true
    run_as_user: alice
    certificate: certs/signer.pem
  - name: Token user
    type: username
    order: 200
    action: authenticate_with_user
    user_field: user_name
${KEY_REFERENCES.map(
  (style) => `  - name: Sign ${style}
    type: x509
    certificate: certs/signer.pem
    private_key: {file: keys/signer.key}
    key_reference: ${style}
`,
).join("")}  - name: Alice digest
    type: username
    action: specify_user
    username: alice
    password: {env: ${PASSWORD_ENV}}
    digest: true
  - name: Alice text
    type: username
    action: specify_user
    username: alice
    password: {env: ${PASSWORD_ENV}}
    digest: false
`;

const POLICIES = `policies:
  - name: Partner inbound
    type: inbound
    require_signed: true
    authenticate: at_least_one
    profiles: [Partner certificate, Token user]
${KEY_REFERENCES.map(
  (style) => `  - name: Out ${style}
    type: outbound
    profiles: [Sign ${style}]
    timestamp_seconds: 300
${BASIC}${TLS}`,
).join("")}  - name: Out bst with digest token
    type: outbound
    profiles: [Sign bst, Alice digest]
    timestamp_seconds: 300
${BASIC}${TLS}  - name: Out bst with text token
    type: outbound
    profiles: [Sign bst, Alice text]
    timestamp_seconds: 300
${BASIC}${TLS}  - name: Out unsigned
    type: outbound
    timestamp_seconds: 300
${BASIC}${TLS}  - name: Out without client certificate
    type: outbound
    profiles: [Sign bst]
    timestamp_seconds: 300
${BASIC}    tls_ca_certificates: [certs/ca.pem]
  - name: Out plain
    type: outbound
    timestamp_seconds: 300
`;

const GATEWAY = `basic_auth:
  required: true
ws_security:
  required: true
  default_policy: Partner inbound
strict_security: false
`;

interface CallRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly exchanges: readonly Exchange[];
}

async function call(args: string[]): Promise<CallRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => (out += chunk));
  stderr.on("data", (chunk) => (err += chunk));
  const exchanges: Exchange[] = [];
  const status = await runCall(args, { stdin: new PassThrough(), stdout, stderr }, { onExchange: (e) => exchanges.push(e) });
  return { status, stdout: out, stderr: err, exchanges };
}

describe("wss-gateway call against this gateway over HTTPS with mutual TLS", () => {
  let gateway: TestGateway;
  let signer: TestCertificate;
  let configDir: string;
  let wsdlUrl: string;

  before(async () => {
    process.env[PASSWORD_ENV] = "alice-password";
    const pki = mkdtempSync(join(tmpdir(), "wss-gateway-call-pki-"));
    const ca = makeCertificate(pki, "ca", { key: "rsa2048", subject: "/CN=test CA" });
    const server = makeIssuedCertificate(pki, "server", ca, { key: "rsa2048", subject: "/CN=127.0.0.1", subjectAltName: "IP:127.0.0.1" });
    const client = makeIssuedCertificate(pki, "client", ca, { key: "rsa2048", subject: "/CN=outbound client" });
    signer = makeCertificate(pki, "signer", { key: "rsa2048", subject: "/CN=partner signer/O=Example/C=US", serialHex: "0a1b2c" });
    gateway = await startTestGateway({
      files: { gateway: GATEWAY, profiles: PROFILES, policies: POLICIES },
      extra: {
        "certs/ca.pem": ca.certPem,
        "certs/client.pem": client.certPem,
        "keys/client.key": client.keyPem,
        "certs/signer.pem": signer.certPem,
        "keys/signer.key": signer.keyPem,
      },
      tls: { certFile: server.certPath, keyFile: server.keyPath, clientCaFile: ca.certPath },
    });
    configDir = gateway.configDir;
    wsdlUrl = `${gateway.url}/incident.do?WSDL`;
  });
  after(async () => {
    await gateway.close();
    delete process.env[PASSWORD_ENV];
  });

  const insert = (policy: string, number: string, ...more: string[]) =>
    call(["--config", configDir, "--policy", policy, "--url", wsdlUrl, "--table", "incident", "--operation", "insert", "--data", JSON.stringify({ number, short_description: `by ${policy}` }), ...more]);

  function sentRequest(run: CallRun): Exchange {
    const posts = run.exchanges.filter((e) => e.method === "POST");
    assert.equal(posts.length, 1, "exactly one request was sent");
    return posts[0]!;
  }

  function auditOf(number: string): Record<string, unknown> {
    const row = gateway.rows("incident").find((r) => r.number === number);
    assert.ok(row, `row ${number} was written`);
    const line = gateway
      .logLines()
      .map((l) => l.audit as Record<string, unknown> | undefined)
      .filter((audit) => audit?.operation === "insert" && audit.status === 200)
      .at(-1);
    assert.ok(line);
    return line;
  }

  for (const soap12 of [false, true]) {
    const version = soap12 ? "SOAP 1.2" : "SOAP 1.1";
    for (const style of KEY_REFERENCES) {
      test(`${version}, signed with key reference ${style}: admitted, the bytes sent verify with xmlsec1, written as the run-as user`, async () => {
        const number = `OUT-${style}-${soap12 ? 12 : 11}`;
        const run = await insert(`Out ${style}`, number, "--json", ...(soap12 ? ["--soap12"] : []));
        assert.equal(run.status, 0, run.stdout + run.stderr);
        const output = JSON.parse(run.stdout) as { status: number; result: { sys_id: string; number: string } };
        assert.equal(output.status, 200);
        assert.match(output.result.sys_id, /^[0-9a-f]{32}$/);
        assert.equal(output.result.number, number);
        const sent = sentRequest(run);
        assert.equal(sent.requestHeaders["Content-Type"]!.startsWith(soap12 ? "application/soap+xml" : "text/xml"), true);
        assert.deepEqual(verifyWithXmlsec1(sent.requestBody, signer.certPem), { kind: "verified" });
        assert.equal(sent.requestBody.includes("UsernameToken"), false);
        const rows = gateway.rows("incident").filter((r) => r.number === number);
        assert.deepEqual(rows.map((r) => [r.sys_id, r.sys_created_by]), [[output.result.sys_id, "alice"]]);
      });
    }

    for (const token of ["digest", "text"] as const) {
      test(`${version}, signed (bst) with a ${token} UsernameToken: both profiles pass, the request verifies with xmlsec1`, async () => {
        const number = `OUT-UT-${token}-${soap12 ? 12 : 11}`;
        const run = await insert(`Out bst with ${token} token`, number, ...(soap12 ? ["--soap12"] : []));
        assert.equal(run.status, 0, run.stdout + run.stderr);
        assert.match(run.stdout, /^HTTP 200: insertResponse from https:\/\/127\.0\.0\.1:\d+\/incident\.do\?SOAP\n/);
        assert.match(run.stdout, new RegExp(`\\n  number: ${number}\\n`));
        const sent = sentRequest(run).requestBody;
        assert.equal(sent.includes(token === "digest" ? "#PasswordDigest" : "#PasswordText"), true);
        assert.deepEqual(verifyWithXmlsec1(sent, signer.certPem), { kind: "verified" });
        const audit = auditOf(number);
        const profiles = audit.profiles as { profile: string; result: string }[];
        assert.deepEqual(profiles.map((p) => [p.profile, p.result]), [["Partner certificate", "passed"], ["Token user", "passed"]]);
        assert.equal(audit.signOn, "basic");
        assert.equal(gateway.rawLog().includes("alice-password"), false);
      });
    }
  }

  test("a refused call shows the remote fault with its HTTP status and exits 1; nothing is written", async () => {
    const before = gateway.rows("incident").length;
    const human = await insert("Out unsigned", "OUT-REFUSED-1");
    assert.equal(human.status, 1);
    assert.match(human.stdout, /^HTTP 500: SOAP fault from https:\/\/127\.0\.0\.1:\d+\/incident\.do\?SOAP\n/);
    assert.ok(human.stdout.includes("  code:   wsse:InvalidSecurity\n  string: SOAP request not Signed. Policy requires signing\n"), human.stdout);
    const json = await insert("Out unsigned", "OUT-REFUSED-2", "--json", "--soap12");
    assert.equal(json.status, 1);
    assert.deepEqual(JSON.parse(json.stdout), { status: 500, fault: { code: "wsse:InvalidSecurity", string: "SOAP request not Signed. Policy requires signing" } });
    assert.equal(gateway.rows("incident").length, before);
  });

  test("outbound mutual TLS is what lets the call in: without the policy's client certificate the handshake fails, exit 1", async () => {
    const run = await insert("Out without client certificate", "OUT-NOCERT", "--json");
    assert.equal(run.status, 1);
    const output = JSON.parse(run.stdout) as { status: number; fault: { code: string } };
    assert.deepEqual([output.status, output.fault.code], [0, "transport"]);
    assert.equal(run.exchanges.length, 0);
  });

  test("get reads back what insert wrote (the response's fields, for a person and as JSON)", async () => {
    const created = JSON.parse((await insert("Out thumbprint", "OUT-GET", "--json")).stdout) as { result: { sys_id: string } };
    const run = await call(["--config", configDir, "--policy", "Out thumbprint", "--url", wsdlUrl, "--table", "incident", "--operation", "get", "--data", JSON.stringify({ sys_id: created.result.sys_id }), "--json"]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const output = JSON.parse(run.stdout) as { status: number; result: Record<string, unknown> };
    assert.equal(output.result.number, "OUT-GET");
    assert.equal(output.result.sys_created_by, "alice");
  });

  test("usage and configuration errors exit 2 and send nothing", async () => {
    const help = await call(["--help"]);
    assert.equal(help.status, 0);
    assert.ok(help.stdout.startsWith("usage: wss-gateway call "));
    const cases: [string[], RegExp][] = [
      [["--policy", "Out bst", "--table", "incident", "--operation", "insert", "--data", "{}"], /--url is required/],
      [["--policy", "Out bst", "--url", wsdlUrl, "--table", "incident", "--operation", "insert"], /exactly one of --data and --file/],
      [["--policy", "Out bst", "--url", wsdlUrl, "--table", "incident", "--operation", "insert", "--data", "[1]"], /expected a JSON object/],
      [["--policy", "Nope", "--url", wsdlUrl, "--table", "incident", "--operation", "insert", "--data", "{}"], /no policy "Nope"/],
      [["--policy", "Partner inbound", "--url", wsdlUrl, "--table", "incident", "--operation", "insert", "--data", "{}"], /is an inbound policy/],
      [["--policy", "Out bst", "--url", wsdlUrl, "--table", "problem", "--operation", "insert", "--data", "{}"], /describes table incident, not problem/],
      [["--policy", "Out bst", "--url", wsdlUrl, "--table", "incident", "--operation", "explode", "--data", "{}"], /has no operation explode/],
    ];
    for (const [args, message] of cases) {
      const run = await call(["--config", configDir, ...args]);
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.exchanges.filter((e) => e.method === "POST").length, 0);
    }
  });
});

describe("wss-gateway call --insecure: a policy holding a key or a password is not sent over plain http", () => {
  let server: Server;
  let url: string;
  let requests: string[];
  let configDir: string;

  before(async () => {
    process.env[PASSWORD_ENV] = "alice-password";
    requests = [];
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
      res.writeHead(404, { "Content-Type": "text/plain" }).end("no such service");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/incident.do?WSDL`;
    const pki = mkdtempSync(join(tmpdir(), "wss-gateway-call-pki-"));
    const signer = makeCertificate(pki, "signer", { key: "rsa2048" });
    const ca = makeCertificate(pki, "ca", { key: "rsa2048" });
    const client = makeIssuedCertificate(pki, "client", ca, { key: "rsa2048" });
    const { makeConfigDir } = await import("../helpers/config-dir.js");
    configDir = makeConfigDir(
      { gateway: GATEWAY, profiles: PROFILES, policies: POLICIES },
      { "certs/ca.pem": ca.certPem, "certs/client.pem": client.certPem, "keys/client.key": client.keyPem, "certs/signer.pem": signer.certPem, "keys/signer.key": signer.keyPem },
    );
  });
  after(() => {
    server.close();
    delete process.env[PASSWORD_ENV];
  });

  const run = (policy: string, ...more: string[]) =>
    call(["--config", configDir, "--policy", policy, "--url", url, "--table", "incident", "--operation", "insert", "--data", "{}", ...more]);

  for (const policy of ["Out bst", "Out unsigned", "Out bst with text token"]) {
    test(`${policy} over http:// without --insecure → exit 2, nothing sent, not even the WSDL fetch`, async () => {
      const before = requests.length;
      const result = await run(policy);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /refusing to send over plain http/);
      assert.equal(result.stdout, "");
      assert.equal(requests.length, before);
      assert.equal(result.exchanges.length, 0);
    });
  }

  test("--endpoint http:// is refused the same way, before the WSDL fetch over https would happen", async () => {
    const before = requests.length;
    const result = await call(["--config", configDir, "--policy", "Out bst", "--url", "https://127.0.0.1:1/x.do?WSDL", "--endpoint", url, "--table", "incident", "--operation", "insert", "--data", "{}"]);
    assert.equal(result.status, 2);
    assert.equal(requests.length, before);
  });

  test("with --insecure the WSDL is fetched over http: the 404 is shown with its status, exit 1", async () => {
    const before = requests.length;
    const result = await run("Out bst", "--insecure", "--json");
    assert.equal(result.status, 1);
    assert.deepEqual(JSON.parse(result.stdout), { status: 404, fault: { code: "HTTP", string: "no such service" } });
    assert.equal(requests.length, before + 1);
    assert.match(requests.at(-1)!, /^GET \/incident\.do\?WSDL Basic /);
  });

  test("a policy without key or password may use http:// without --insecure", async () => {
    const before = requests.length;
    const result = await run("Out plain");
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/incident\.do\?WSDL \(not a SOAP response\)\n  no such service\n$/);
    assert.equal(requests.length, before + 1);
  });
});
