/**
 * `wss-gateway certs [DIR]`: every configured certificate with who uses it,
 * subject, issuer, SHA-256 fingerprint (checked against openssl's) and
 * expiry; WARN for those expiring within 30 days or expired; exit 1 with
 * `file:line: field: message` for an invalid configuration.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { runCerts } from "../../src/cli/certs.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

let pkiDir: string;
let partner: TestCertificate;
let ca: TestCertificate;
let client: TestCertificate;
let configDir: string;

before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), "certs-command-"));
  partner = makeCertificate(pkiDir, "partner", { key: "ec-p256", subject: "/O=Partner Inc/CN=partner.soap", notBefore: new Date(NOW.getTime() - DAY_MS), notAfter: new Date(NOW.getTime() + 400 * DAY_MS) });
  ca = makeCertificate(pkiDir, "ca", { key: "ec-p256", subject: "/O=Partner Inc/CN=Partner CA", notAfter: new Date(NOW.getTime() + 10 * DAY_MS + 3600_000) });
  client = makeCertificate(pkiDir, "client", {
    key: "ec-p256",
    subject: "/CN=alice-laptop",
    notBefore: new Date(NOW.getTime() - 30 * DAY_MS),
    notAfter: new Date(NOW.getTime() - 3 * DAY_MS - 3600_000),
  });
  configDir = makeConfigDir(
    {
      profiles: `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    run_as_user: alice
    certificate: certs/partner.pem
    ca_certificates: [certs/ca.pem]
    check_validity: false
`,
      users: `users:
  - user_name: alice
    password: alice-password
    roles: [soap]
    client_certificates: [certs/client.pem]
`,
    },
    { "certs/partner.pem": partner.certPem, "certs/ca.pem": ca.certPem, "certs/client.pem": client.certPem },
  );
});
after(() => rmSync(pkiDir, { recursive: true, force: true }));

function run(argv: string[], env: NodeJS.ProcessEnv = {}): { code: Promise<number>; stdout: () => string; stderr: () => string } {
  let stdout = "";
  let stderr = "";
  const code = runCerts(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    clock: new ManualClock(NOW),
  });
  return { code, stdout: () => stdout, stderr: () => stderr };
}

function opensslFingerprint(certPath: string): string {
  const output = execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" });
  return output.trim().split("=")[1]!.replaceAll(":", "").toLowerCase();
}

/** The value of one `openssl x509 -noout` field, lowercase hex without colons. */
function openssl(certPath: string, ...args: string[]): string {
  const output = execFileSync("openssl", ["x509", "-in", certPath, "-noout", ...args], { encoding: "utf8" });
  return output.trim().split("=")[1]!.replaceAll(":", "").toLowerCase();
}

function opensslSki(certPath: string): string {
  const output = execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-ext", "subjectKeyIdentifier"], { encoding: "utf8" });
  return output.trim().split("\n")[1]!.trim().replaceAll(":", "").toLowerCase();
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

test("lists each configured certificate with its user, subject, issuer, openssl's SHA-256 fingerprint and days to expiry", async () => {
  const result = run([configDir]);
  assert.equal(await result.code, 0);
  const partnerNotAfter = iso(new Date(NOW.getTime() + 400 * DAY_MS));
  const partnerNotBefore = iso(new Date(NOW.getTime() - DAY_MS));
  assert.ok(
    result.stdout().includes(
      [
        "certs/partner.pem",
        '  used by:     profile "Partner certificate" (certificate)',
        "  subject:     CN=partner.soap, O=Partner Inc",
        "  issuer:      CN=partner.soap, O=Partner Inc",
        `  serial:      ${openssl(partner.certPath, "-serial")}`,
        "  key:         EC prime256v1 (256 bits)",
        `  sha256:      ${opensslFingerprint(partner.certPath)}`,
        `  sha1:        ${openssl(partner.certPath, "-fingerprint", "-sha1")}`,
        `  ski:         ${opensslSki(partner.certPath)}`,
        `  not before:  ${partnerNotBefore}`,
        `  not after:   ${partnerNotAfter} (expires in 400 days)`,
        "",
      ].join("\n"),
    ),
    result.stdout(),
  );
  assert.match(result.stdout(), new RegExp(`^${configDir.replaceAll("/", "\\/")}: 3 certificates\n`));
});

test("a certificate expiring within 30 days is flagged WARN on stdout and stderr", async () => {
  const result = run([configDir]);
  assert.equal(await result.code, 0, "warnings do not fail the command");
  const caNotAfter = iso(new Date(NOW.getTime() + 10 * DAY_MS + 3600_000));
  assert.ok(
    result.stdout().includes(
      [
        "certs/ca.pem",
        '  used by:     profile "Partner certificate" (CA certificate)',
        "  subject:     CN=Partner CA, O=Partner Inc",
        "  issuer:      CN=Partner CA, O=Partner Inc",
        `  serial:      ${openssl(ca.certPath, "-serial")}`,
        "  key:         EC prime256v1 (256 bits)",
        `  sha256:      ${opensslFingerprint(ca.certPath)}`,
      ].join("\n"),
    ),
    result.stdout(),
  );
  assert.ok(result.stdout().includes(`  not after:   ${caNotAfter} (expires in 10 days)  WARN expires within 30 days\n`), result.stdout());
  assert.ok(result.stderr().includes(`WARN certs/ca.pem: expires in 10 days, on ${caNotAfter} (profile "Partner certificate" (CA certificate))\n`), result.stderr());
});

test("an expired client certificate is flagged WARN with the user it is mapped to", async () => {
  const result = run([configDir]);
  assert.equal(await result.code, 0);
  const clientNotAfter = iso(new Date(NOW.getTime() - 3 * DAY_MS - 3600_000));
  assert.ok(result.stdout().includes(`certs/client.pem\n  used by:     user alice (client certificate)\n  subject:     CN=alice-laptop\n`), result.stdout());
  assert.ok(result.stdout().includes(`  not after:   ${clientNotAfter} (expired 3 days ago)  WARN expired\n`), result.stdout());
  assert.ok(result.stderr().includes(`WARN certs/client.pem: expired 3 days ago, on ${clientNotAfter} (user alice (client certificate))\n`), result.stderr());
  assert.equal(result.stderr().split("\n").filter((line) => line.startsWith("WARN")).length, 2, "the valid partner certificate is not flagged");
});

test("DIR defaults to $WSS_GATEWAY_CONFIG", async () => {
  const result = run([], { WSS_GATEWAY_CONFIG: configDir });
  assert.equal(await result.code, 0);
  assert.ok(result.stdout().startsWith(`${configDir}: 3 certificates\n`));
});

test("an invalid configuration exits 1 listing every problem as file:line: field: message", async () => {
  const broken = makeConfigDir({
    profiles: `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    run_as_user: alice
    certificate: certs/missing.pem
`,
  });
  const result = run([broken]);
  assert.equal(await result.code, 1);
  assert.equal(result.stdout(), "profiles.yaml:6: profiles[0].certificate: certs/missing.pem: certificate file does not exist\n");
  assert.equal(result.stderr(), `${broken}: invalid configuration (1 problem); run wss-gateway check-config ${broken}\n`);
});

test("bad arguments exit 2 with the usage", async () => {
  const result = run(["--all"]);
  assert.equal(await result.code, 2);
  assert.match(result.stderr(), /^certs: Unknown option '--all'[^\n]*\nusage: wss-gateway certs \[DIR\] \[--expiring-within DAYS\]\n/);
  const days = run([configDir, "--expiring-within", "soon"]);
  assert.equal(await days.code, 2);
  assert.match(days.stderr(), /^certs: --expiring-within: expected a whole number of days, got soon\n/);
});

test("--expiring-within DAYS exits 1 when a certificate is inside the window (the CA expires in 10 days, the client expired)", async () => {
  const five = run([configDir, "--expiring-within", "5"]);
  assert.equal(await five.code, 1, "the expired client certificate is inside any window");
  assert.ok(five.stderr().endsWith(`${configDir}: 1 certificate expires within 5 days or expired\n`), five.stderr());
  const eleven = run([configDir, "--expiring-within", "11"]);
  assert.equal(await eleven.code, 1);
  assert.ok(eleven.stderr().endsWith(`${configDir}: 2 certificates expire within 11 days or expired\n`), eleven.stderr());
  assert.ok(eleven.stdout().includes("(expires in 10 days)  WARN expires within 11 days\n"), eleven.stdout());
});

test("--expiring-within: none inside the window → exit 0", async () => {
  const dir = makeConfigDir(
    { profiles: "profiles:\n  - name: P\n    type: x509\n    bind_session: true\n    run_as_user: alice\n    certificate: certs/partner.pem\n" },
    { "certs/partner.pem": partner.certPem },
  );
  const result = run([dir, "--expiring-within", "399"]);
  assert.equal(await result.code, 0, result.stderr());
  assert.equal(result.stderr(), "");
  const later = run([dir, "--expiring-within", "401"]);
  assert.equal(await later.code, 1);
});

test("--help prints the usage on stdout and exits 0", async () => {
  const result = run(["--help"]);
  assert.equal(await result.code, 0);
  assert.ok(result.stdout().startsWith("usage: wss-gateway certs [DIR] [--expiring-within DAYS]\n"));
  assert.equal(result.stderr(), "");
});

test("the wss-gateway command runs certs on the demo configuration", () => {
  const stdout = execFileSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "certs", "policies"], { encoding: "utf8" });
  assert.ok(stdout.startsWith("policies: 1 certificate\n"), stdout);
  assert.ok(stdout.includes(`../certs/demo-partner.pem\n  used by:     profile "Partner certificate" (certificate)\n`), stdout);
  assert.ok(stdout.includes(`  sha256:      ${opensslFingerprint("certs/demo-partner.pem")}\n`), stdout);
});
