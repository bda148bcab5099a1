/**
 * ws_security.shadow_policy in the configuration (check-config names its
 * line) and `explain --policy NAME`, which evaluates any inbound policy on a
 * saved request for every user: the shadow question asked of one request.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { runExplain } from "../../src/cli/explain.js";
import { checkConfig } from "../../src/config/load.js";
import { formatConfigProblem } from "../../src/config/types.js";
import { loadConfig } from "../../src/config/load.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { makeConfigDir, type ConfigFileName } from "../helpers/config-dir.js";
import { soapEnvelope } from "../helpers/gateway.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";

const workDir = mkdtempSync(join(tmpdir(), "wss-gateway-shadow-config-"));
const partner = makeCertificate(workDir, "partner", { key: "rsa2048" });

const POLICIES = `policies:
  - name: Current
    type: inbound
    require_signed: false
    authenticate: at_least_one
    profiles: [Partner certificate]
  - name: Signed only
    type: inbound
    require_signed: true
    profiles: [Partner certificate]
  - name: Outbound
    type: outbound
`;
const PROFILES = `profiles:
  - name: Partner certificate
    type: x509
    bind_session: true
    run_as_user: alice
    certificate: partner.pem
`;

function problems(files: Partial<Record<ConfigFileName, string>>): string[] {
  return checkConfig(makeConfigDir(files, { "partner.pem": partner.certPem }), { env: {} }).map(formatConfigProblem);
}

const gateway = (shadow: string) => `basic_auth:\n  required: true\nws_security:\n  required: false\n  default_policy: Current\n  shadow_policy: ${shadow}\n`;

describe("ws_security.shadow_policy in check-config", () => {
  test("a shadow policy that is not in policies.yaml → its line named", () => {
    assert.deepEqual(problems({ gateway: gateway("Ghost"), policies: POLICIES, profiles: PROFILES }), [
      'gateway.yaml:6: ws_security.shadow_policy: policy "Ghost" is not in policies.yaml',
    ]);
  });

  test("an outbound shadow policy → refused: a shadow policy must be inbound", () => {
    assert.deepEqual(problems({ gateway: gateway("Outbound"), policies: POLICIES, profiles: PROFILES }), [
      'gateway.yaml:6: ws_security.shadow_policy: policy "Outbound" is an outbound policy; a shadow policy must be inbound',
    ]);
  });

  test("an inbound shadow policy loads; absent means none", () => {
    assert.deepEqual(problems({ gateway: gateway('"Signed only"'), policies: POLICIES, profiles: PROFILES }), []);
    const dir = makeConfigDir({ gateway: gateway('"Signed only"'), policies: POLICIES, profiles: PROFILES }, { "partner.pem": partner.certPem });
    assert.equal(loadConfig(dir).gateway.wsSecurity.shadowPolicy, "Signed only");
    assert.equal(loadConfig(makeConfigDir({})).gateway.wsSecurity.shadowPolicy, undefined);
  });
});

describe("explain --policy NAME", () => {
  const configDir = makeConfigDir(
    {
      gateway: gateway("null"),
      policies: POLICIES,
      profiles: PROFILES,
    },
    { "partner.pem": partner.certPem },
  );
  const save = (name: string, xml: string) => {
    const path = join(workDir, name);
    writeFileSync(path, xml);
    return path;
  };
  const unsigned = save("unsigned.xml", soapEnvelope("incident", "insert", "<short_description>x</short_description>"));

  async function explain(argv: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on("data", (c: Buffer) => out.push(c));
    stderr.on("data", (c: Buffer) => err.push(c));
    const status = await runExplain(argv, { stdin: new PassThrough(), stdout, stderr });
    return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  test("without --policy an unsigned request passes (ws_security.required false); with --policy \"Signed only\" → SOAP request not Signed", async () => {
    const plain = await explain(["--config", configDir, "--user", "alice", unsigned]);
    assert.equal(plain.status, 0, plain.stdout + plain.stderr);
    const shadowed = await explain(["--config", configDir, "--user", "alice", "--policy", "Signed only", unsigned]);
    assert.equal(shadowed.status, 1);
    assert.match(shadowed.stdout, /4\. WS-Security: refused, policy "Signed only"/);
    assert.match(shadowed.stdout, /result: refused: HTTP 500 SOAP fault wsse:InvalidSecurity "SOAP request not Signed. Policy requires signing"/);
  });

  test("--policy evaluates an internal integration user too", async () => {
    const shadowed = await explain(["--config", configDir, "--user", "integration", "--policy", "Signed only", unsigned]);
    assert.equal(shadowed.status, 1);
    assert.match(shadowed.stdout, /SOAP request not Signed/);
  });

  test("--policy admits a request signed with the policy's certificate", async () => {
    const signed = save("signed.xml", signEnvelope(soapEnvelope("incident", "insert", "<short_description>y</short_description>"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 }));
    const result = await explain(["--config", configDir, "--user", "alice", "--policy", "Signed only", signed]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, /4\. WS-Security: admitted, policy "Signed only"/);
  });

  test("--policy naming an unknown or an outbound policy → usage error 2, nothing evaluated", async () => {
    const unknown = await explain(["--config", configDir, "--user", "alice", "--policy", "Ghost", unsigned]);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr, 'explain: --policy: no policy named "Ghost" in policies.yaml\n');
    assert.equal(unknown.stdout, "");
    const outbound = await explain(["--config", configDir, "--user", "alice", "--policy", "Outbound", unsigned]);
    assert.equal(outbound.status, 2);
    assert.equal(outbound.stderr, 'explain: --policy: "Outbound" is an outbound policy\n');
  });
});
