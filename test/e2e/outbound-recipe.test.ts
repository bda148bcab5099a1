/**
 * docs/outbound.md's "Test a partner endpoint" recipe, run verbatim: its
 * YAML (the outbound profiles and policy) goes into the configuration and its
 * shell block runs under bash with `wss-gateway` on the PATH, against this
 * gateway as the partner, over HTTPS with mutual TLS (certificates made with
 * openssl at test time). The doc cannot drift from what `call` does.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";
import { makeIssuedCertificate } from "../helpers/pki.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DOC = readFileSync(join(ROOT, "docs", "outbound.md"), "utf8");
const PASSWORD = "partner-test-password";

/** The fenced block of `language` that follows `marker` in docs/outbound.md. */
function blockAfter(marker: string, language: string): string {
  const start = DOC.indexOf(marker);
  assert.notEqual(start, -1, `docs/outbound.md no longer contains ${JSON.stringify(marker)}`);
  const match = new RegExp("```" + language + "\\n([\\s\\S]*?)\\n```").exec(DOC.slice(start));
  assert.ok(match, `docs/outbound.md: no ${language} block after ${JSON.stringify(marker)}`);
  return `${match[1]}\n`;
}

const DOC_PROFILES = parse(blockAfter("```yaml\n# profiles.yaml", "yaml")) as { profiles: unknown[] };
const DOC_POLICIES = parse(blockAfter("```yaml\n# policies.yaml", "yaml")) as { policies: unknown[] };
const RECIPE = blockAfter("## Test a partner endpoint", "sh");

/** bash -e -c SCRIPT, without blocking this process (the gateway it calls runs here). */
function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-c", script], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("docs/outbound.md: 'Test a partner endpoint', verbatim, against this gateway over mutual TLS", () => {
  let gateway: TestGateway;

  before(async () => {
    process.env.PARTNER_WSS_PASSWORD = PASSWORD;
    process.env.PARTNER_BASIC_PASSWORD = PASSWORD;
    const pki = mkdtempSync(join(tmpdir(), "wss-gateway-recipe-pki-"));
    const ca = makeCertificate(pki, "partner-ca", { key: "rsa2048", subject: "/CN=partner CA" });
    const server = makeIssuedCertificate(pki, "server", ca, { key: "rsa2048", subject: "/CN=127.0.0.1", subjectAltName: "IP:127.0.0.1", days: 365 });
    const client = makeIssuedCertificate(pki, "our-client", ca, { key: "rsa2048", subject: "/CN=our client", days: 365 });
    const signer = makeCertificate(pki, "our-signer", { key: "rsa2048", subject: "/CN=our signer/O=Example/C=US" });
    const inboundProfiles = [
      { name: "Partner signer", type: "x509", bind_session: true, run_as_user: "partner.soap", certificate: "certs/our-signer.pem" },
      { name: "Partner user", type: "username", order: 200, action: "authenticate_with_user", user_field: "user_name" },
    ];
    const inboundPolicy = { name: "Partner inbound", type: "inbound", require_signed: true, authenticate: "all", profiles: ["Partner signer", "Partner user"] };
    gateway = await startTestGateway({
      files: {
        gateway: "basic_auth:\n  required: true\nws_security:\n  required: true\n  default_policy: Partner inbound\nstrict_security: false\n",
        users: `users:\n  - user_name: partner.soap\n    password: ${PASSWORD}\n    roles: [soap]\n`,
        profiles: stringify({ profiles: [...inboundProfiles, ...DOC_PROFILES.profiles] }),
        policies: stringify({ policies: [inboundPolicy, ...DOC_POLICIES.policies] }),
      },
      extra: {
        "certs/partner-ca.pem": ca.certPem,
        "certs/our-client.pem": client.certPem,
        "keys/our-client.key": client.keyPem,
        "certs/our-signer.pem": signer.certPem,
        "keys/our-signer.key": signer.keyPem,
      },
      tls: { certFile: server.certPath, keyFile: server.keyPath, clientCaFile: ca.certPath },
    });
  });
  after(async () => {
    await gateway.close();
    delete process.env.PARTNER_WSS_PASSWORD;
    delete process.env.PARTNER_BASIC_PASSWORD;
  });

  test("the recipe's three commands succeed: check-config OK, a signed insert admitted, read back as JSON", async () => {
    const binDir = mkdtempSync(join(tmpdir(), "wss-gateway-bin-"));
    symlinkSync(join(ROOT, "bin", "wss-gateway.js"), join(binDir, "wss-gateway"));
    const result = await runBash(RECIPE, {
        ...process.env,
        PATH: `${binDir}:${process.env.PATH}`,
        CONFIG: gateway.configDir,
        PARTNER_WSDL: `${gateway.url}/incident.do?WSDL`,
        PARTNER_WSS_PASSWORD: PASSWORD,
        PARTNER_BASIC_PASSWORD: PASSWORD,
    });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /: OK \(/);
    assert.match(result.stdout, /\nHTTP 200: insertResponse from https:\/\/127\.0\.0\.1:\d+\/incident\.do\?SOAP\n  sys_id: [0-9a-f]{32}\n  number: INC0099001\n/);
    const json = JSON.parse(lines.at(-1)!) as { status: number; result: unknown };
    assert.equal(json.status, 200);
    assert.ok(JSON.stringify(json.result).includes('"number":"INC0099001"'), lines.at(-1));
    const rows = gateway.rows("incident");
    assert.deepEqual(rows.map((r) => [r.number, r.sys_created_by]), [["INC0099001", "partner.soap"]]);
    assert.equal(result.stdout.includes(PASSWORD) || result.stderr.includes(PASSWORD), false);
  });
});
