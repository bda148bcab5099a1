/**
 * No secret is ever logged or returned (SPEC §5 Faults, §7). A whole session
 * of traffic runs with `debug: true` — Basic successes and failures,
 * UsernameTokens (PasswordText and PasswordDigest, literal, env and
 * scrypt-hashed passwords, known nonces), signed requests with a known
 * private key, tampering, replays, expiry, throttling and a fault of every
 * kind — and then the captured log is searched for every password, every
 * Authorization header value, every nonce and PasswordDigest, the scrypt
 * hash, the private key's PEM body and each of its base64 lines, and a
 * request body marker. Every answer sent to the clients is searched for the
 * same secrets, and for stack traces and file paths.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { randomBytes } from "node:crypto";
import { ManualClock } from "../../src/clock.js";
import { hashPassword } from "../../src/auth/password.js";
import { signEnvelope, type SignOptions } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { basicAuth, SOAP11, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

const PASSWORDS = {
  alice: "Alice-Literal-Pw-7731",
  carol: "Carol-Hashed-Pw-5521",
  reader: "Reader-Literal-Pw-0417",
  integration: "Integration-Literal-Pw-9902",
  shared: "Shared-Env-Secret-3318",
  guesses: ["Guess-One-Pw-1111", "Guess-Two-Pw-2222", "Guess-Three-Pw-3333"],
};
const SHARED_SECRET_ENV = "AUDIT_SECRETS_TEST_SHARED_SECRET";
const BODY_MARKER = "Body-Marker-Never-Logged-6640";

let pkiDir: string;
let partner: TestCertificate;
let gateway: TestGateway;
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
/** Every secret the session sends; none may appear in the log or in an answer. */
const secrets = new Set<string>();
/** Every answer body the clients received. */
const answers: { what: string; status: number; body: string }[] = [];
/** The fault strings received, to show the session covered every kind. */
const faultStrings = new Set<string>();

function usersYaml(carolHash: string): string {
  return `users:
  - user_name: alice
    email: alice@example.test
    password: ${PASSWORDS.alice}
    roles: [soap]
  - user_name: carol
    password: "${carolHash}"
    roles: [soap]
  - user_name: reader
    password: ${PASSWORDS.reader}
    roles: [soap_query]
  - user_name: integration
    password: ${PASSWORDS.integration}
    roles: [soap]
    internal_integration_user: true
  - user_name: partner.soap
    password: {env: ${SHARED_SECRET_ENV}}
    roles: [soap]
`;
}

const GATEWAY_YAML = `basic_auth:
  required: true
ws_security:
  required: true
  default_policy: Default Security Policy
strict_security: true
debug: true
limits:
  max_body_bytes: 65536
throttle:
  max_failures: 18
  window_seconds: 60
  cooldown_seconds: 60
`;

const PROFILES_YAML = `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    run_as_user: partner.soap
    certificate: certs/partner.pem
  - name: Credentials
    type: username
    order: 200
    action: authenticate_with_user
    user_field: user_name
  - name: Shared secret
    type: username
    order: 300
    action: specify_user
    username: partner
    password: {env: ${SHARED_SECRET_ENV}}
    run_as_user: partner.soap
`;

function policiesYaml(options: { profiles: string[]; authenticate: "all" | "at_least_one"; requireSigned: boolean; type?: string }): string {
  return `policies:
  - name: Default Security Policy
    type: ${options.type ?? "inbound"}
${options.type === "outbound" ? "" : `    require_signed: ${options.requireSigned}\n    authenticate: ${options.authenticate}\n`}    profiles: ${JSON.stringify(options.profiles)}
`;
}

const ACLS_YAML = `acls:
  - table: incident
    operation: read
    roles: []
  - table: incident
    operation: create
    roles: []
`;

async function usePolicy(options: Parameters<typeof policiesYaml>[0]): Promise<void> {
  writeFileSync(join(gateway.configDir, "policies.yaml"), policiesYaml(options));
  assert.equal((await gateway.reload()).kind, "reloaded");
}

async function send(
  what: string,
  options: { authorization?: string; body?: string | Buffer; method?: string; path?: string; contentType?: string },
): Promise<{ status: number; body: string }> {
  if (options.authorization) secrets.add(options.authorization.replace(/^Basic /, ""));
  const headers: Record<string, string> = { "Content-Type": options.contentType ?? "text/xml; charset=utf-8" };
  if (options.authorization) headers.Authorization = options.authorization;
  const response = await fetch(`${gateway.url}${options.path ?? "/incident.do?SOAP"}`, {
    method: options.method ?? "POST",
    headers,
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : new Uint8Array(options.body),
  });
  const body = await response.text();
  answers.push({ what, status: response.status, body });
  const fault = textOf(body, "faultstring");
  if (fault !== undefined) faultStrings.add(fault);
  return { status: response.status, body };
}

/** Adds WS-Security as `options` ask, with a known nonce, and records the token's secrets. */
function withToken(operationXml: string, options: SignOptions): string {
  const nonce = randomBytes(16);
  const xml = signEnvelope(operationXml, { clock, nonce, ...options });
  if (options.username !== undefined) {
    secrets.add(nonce.toString("base64"));
    secrets.add(textOf(xml, "Password")!); // the PasswordText or the PasswordDigest as sent
  }
  return xml;
}

const insert = (number: string, description = "audit") => soapEnvelope("incident", "insert", `<number>${number}</number><short_description>${description}</short_description>`);
const alice = () => basicAuth("alice", PASSWORDS.alice);

before(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), "audit-secrets-"));
  partner = makeCertificate(pkiDir, "partner", { key: "rsa2048" });
  process.env[SHARED_SECRET_ENV] = PASSWORDS.shared;
  const carolHash = await hashPassword(PASSWORDS.carol, 10);
  for (const password of [PASSWORDS.alice, PASSWORDS.carol, PASSWORDS.reader, PASSWORDS.integration, PASSWORDS.shared, ...PASSWORDS.guesses, carolHash]) secrets.add(password);
  const keyBody = partner.keyPem.replace(/-----[A-Z ]+-----/g, "");
  secrets.add(keyBody.replace(/\s+/g, ""));
  for (const line of keyBody.split("\n")) if (line.trim().length >= 16) secrets.add(line.trim());
  gateway = await startTestGateway({
    clock,
    files: {
      gateway: GATEWAY_YAML,
      profiles: PROFILES_YAML,
      policies: policiesYaml({ profiles: ["Credentials"], authenticate: "all", requireSigned: false }),
      users: usersYaml(carolHash),
      acls: ACLS_YAML,
    },
    extra: { "certs/partner.pem": partner.certPem },
  });
  await runSession();
});

after(async () => {
  await gateway?.close();
  delete process.env[SHARED_SECRET_ENV];
  rmSync(pkiDir, { recursive: true, force: true });
});

async function runSession(): Promise<void> {
  // UsernameTokens under `all` [Credentials].
  assert.equal((await send("UT text, literal password", { authorization: alice(), body: withToken(insert("UT-1", BODY_MARKER), { username: "alice", password: PASSWORDS.alice }) })).status, 200);
  const digest = withToken(insert("UT-2"), { username: "alice", password: PASSWORDS.alice, passwordType: "digest" });
  assert.equal((await send("UT digest, literal password", { authorization: alice(), body: digest })).status, 200);
  await send("UT digest replayed", { authorization: alice(), body: digest });
  assert.equal((await send("UT text, scrypt password", { authorization: alice(), body: withToken(insert("UT-3"), { username: "carol", password: PASSWORDS.carol }) })).status, 200);
  await send("UT digest against a hash-only user", { authorization: alice(), body: withToken(insert("UT-4"), { username: "carol", password: PASSWORDS.carol, passwordType: "digest" }) });
  await send("UT text, wrong password", { authorization: alice(), body: withToken(insert("UT-5"), { username: "alice", password: PASSWORDS.guesses[0] }) });
  await send("UT digest, wrong password", { authorization: alice(), body: withToken(insert("UT-6"), { username: "alice", password: PASSWORDS.guesses[1], passwordType: "digest" }) });
  await send("UT of an unknown user", { authorization: alice(), body: withToken(insert("UT-7"), { username: "nobody", password: PASSWORDS.guesses[2] }) });
  const past = new ManualClock(clock.now().getTime() - 3600_000);
  await send("UT created an hour ago", { authorization: alice(), body: withToken(insert("UT-8"), { username: "alice", password: PASSWORDS.alice, passwordType: "digest", clock: past }) });
  const noPassword = `<soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:tns="http://www.service-now.com/incident"><soapenv:Header><wsse:Security xmlns:wsse="${NS.wsse}"><wsse:UsernameToken><wsse:Username>alice</wsse:Username></wsse:UsernameToken></wsse:Security></soapenv:Header><soapenv:Body><tns:insert><number>UT-9</number></tns:insert></soapenv:Body></soapenv:Envelope>`;
  await send("UT without a password", { authorization: alice(), body: noPassword });
  assert.equal((await send("integration user bypasses WS-Security", { authorization: basicAuth("integration", PASSWORDS.integration), body: insert("INT-1") })).status, 200);
  await send("insufficient rights", { authorization: basicAuth("reader", PASSWORDS.reader), body: withToken(insert("R-1"), { username: "reader", password: PASSWORDS.reader }) });
  await send("unknown column", { authorization: alice(), body: withToken(soapEnvelope("incident", "insert", "<no_such_column>1</no_such_column>"), { username: "alice", password: PASSWORDS.alice }) });

  // Signatures and the shared secret under `at_least_one`.
  await usePolicy({ profiles: ["Partner certificate", "Credentials", "Shared secret"], authenticate: "at_least_one", requireSigned: false });
  const signed = (number: string) => withToken(insert(number), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
  assert.equal((await send("signed", { authorization: alice(), body: signed("SIG-1") })).status, 200);
  // Replace the element, not the bare value: "SIG-2" can also begin the ds:Signature's own Id ("SIG-<uuid>").
  const altered = await send("signed, Body altered", { authorization: alice(), body: signed("SIG-2").replace("<number>SIG-2</number>", "<number>SIG-EVIL</number>") });
  assert.equal(textOf(altered.body, "faultstring"), "Unable to verify signed request");
  const signedToken = withToken(insert("SIG-3"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, username: "alice", password: PASSWORDS.alice, passwordType: "digest" });
  assert.equal((await send("signed with a UsernameToken", { authorization: alice(), body: signedToken })).status, 200);
  await send("signed message replayed", { authorization: alice(), body: signedToken });
  assert.equal((await send("shared secret, text", { authorization: alice(), body: withToken(insert("SH-1"), { username: "partner", password: PASSWORDS.shared }) })).status, 200);
  assert.equal((await send("shared secret, digest", { authorization: alice(), body: withToken(insert("SH-2"), { username: "partner", password: PASSWORDS.shared, passwordType: "digest" }) })).status, 200);
  await send("shared secret, wrong", { authorization: alice(), body: withToken(insert("SH-3"), { username: "partner", password: PASSWORDS.guesses[0], passwordType: "digest" }) });

  await usePolicy({ profiles: ["Partner certificate"], authenticate: "all", requireSigned: true });
  await send("unsigned under require_signed", { authorization: alice(), body: insert("U-1") });
  await usePolicy({ profiles: [], authenticate: "all", requireSigned: false });
  await send("no profiles", { authorization: alice(), body: insert("U-2") });
  await usePolicy({ profiles: [], authenticate: "all", requireSigned: false, type: "outbound" });
  await send("outbound policy", { authorization: alice(), body: insert("U-3") });

  // HTTP-level answers.
  await send("malformed", { authorization: alice(), body: `<!DOCTYPE x [<!ENTITY e "${PASSWORDS.guesses[0]}">]><x>&e;</x>` });
  await send("no credentials", { body: insert("H-1") });
  await send("wrong Basic password", { authorization: basicAuth("alice", PASSWORDS.guesses[1]), body: insert("H-2") });
  await send("unknown Basic user", { authorization: basicAuth("mallory", PASSWORDS.guesses[2]), body: insert("H-3") });
  await send("unknown table", { authorization: alice(), body: insert("H-4"), path: "/no_such_table.do?SOAP" });
  await send("wrong method", { authorization: alice(), method: "GET", path: "/incident.do?SOAP" });
  await send("wrong content type", { authorization: alice(), body: "{}", contentType: "application/json" });
  await send("oversized body", { authorization: alice(), body: Buffer.alloc(70_000, 0x41) });
  await send("WSDL", { authorization: basicAuth("reader", PASSWORDS.reader), method: "GET", path: "/incident.do?WSDL" });
  for (let i = 0; i < 20 && answers.at(-1)!.status !== 429; i++) {
    await send("brute force", { authorization: basicAuth("alice", PASSWORDS.guesses[i % 3]!), body: insert("BF") });
  }
}

test("the session covered every fault kind, debug traces and a throttled client", () => {
  for (const fault of [
    "Invalid Security Policy Selected. Select a Inbound policy for Inbound Requests",
    "SOAP request not Signed. Policy requires signing",
    "No profiles to authenticate",
    "Unable to verify signed request",
    "Failed to extract principal(s) from request",
    "Failed to authenticate WS-Security",
    "WS-Security message expired",
    "WS-Security message replayed",
    "Insufficient rights to perform insert on incident",
    "Malformed SOAP request",
  ]) {
    const answered = answers.map((answer) => `${answer.what}: ${answer.status} ${textOf(answer.body, "faultstring") ?? ""}`).join("\n");
    assert.ok(faultStrings.has(fault), `no "${fault}" among the answers:\n${answered}`);
  }
  assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200, 400, 401, 403, 404, 405, 413, 415, 429, 500]));
  assert.ok(gateway.logLines().filter((line) => line.msg === "ws-security trace").length >= 15, "debug traces were logged");
  assert.ok(gateway.rawLog().includes("PasswordDigest needs a recoverable password"), "debug logging says why a digest failed against a hash");
});

test("no password, Authorization value, nonce, PasswordDigest, scrypt hash, private key or body appears in the log", () => {
  const log = gateway.rawLog();
  assert.ok(secrets.size > 40, `${secrets.size} secrets collected`);
  for (const secret of secrets) assert.equal(log.includes(secret), false, `the log contains a secret: ${secret.slice(0, 6)}…`);
  assert.equal(log.includes(BODY_MARKER), false, "the log contains a request body value");
});

test("no answer to a client carries a secret, a stack trace or a file path", () => {
  const paths = [gateway.configDir, gateway.dbPath, pkiDir, process.cwd(), "node_modules", "/tmp/"];
  for (const answer of answers) {
    for (const secret of secrets) assert.equal(answer.body.includes(secret), false, `${answer.what}: a secret in the answer`);
    assert.doesNotMatch(answer.body, /\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|Error:/, `${answer.what}: a stack trace`);
    for (const path of paths) assert.equal(answer.body.includes(path), false, `${answer.what}: the path ${path}`);
  }
});
