/**
 * A real gateway for the attack tests over HTTP (127.0.0.1, real SQLite
 * file), with the partner's RSA and EC certificates pinned by x509 profiles
 * and a username profile, under one inbound policy built from options:
 *
 *   const gateway = await startAttackGateway(pki, { profiles: ["rsa"], clock });
 *   const { xml, number } = incidentInsert();
 *   await expectFault(gateway, tampered, FAULTS_OVER_HTTP.failedCheck);   // 500, exact string and code, nothing written
 *   await expectAdmitted(gateway, signed, number);                        // 200, the row written by the run-as user
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/clock.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "./gateway.js";
import { makeCertificate, type TestCertificate } from "./openssl-certificate.js";

export const CALLER = basicAuth("caller", "caller-password");
export const RUN_AS = "partner.soap";

export const FAULTS_OVER_HTTP = {
  failedCheck: { status: 500, faultstring: "Unable to verify signed request", faultcode: "wsse:FailedCheck" },
  tokenMissing: { status: 500, faultstring: "Failed to extract principal(s) from request", faultcode: "wsse:InvalidSecurityToken" },
  expired: { status: 500, faultstring: "WS-Security message expired", faultcode: "wsu:MessageExpired" },
  replayed: { status: 500, faultstring: "WS-Security message replayed", faultcode: "wsse:FailedAuthentication" },
  unavailable: { status: 503, faultstring: "Service temporarily unavailable", faultcode: "soapenv:Server" },
} as const;

export type ExpectedFault = { readonly status: number; readonly faultstring: string; readonly faultcode: string };

export interface AttackPki {
  readonly rsa: TestCertificate;
  readonly ec: TestCertificate;
}

export function makeAttackPki(): AttackPki {
  const dir = mkdtempSync(join(tmpdir(), "attack-pki-"));
  return { rsa: makeCertificate(dir, "partner-rsa", { key: "rsa2048" }), ec: makeCertificate(dir, "partner-ec", { key: "ec-p256" }) };
}

export type AttackProfile = "rsa" | "ec" | "username";

export interface AttackGatewayOptions {
  readonly profiles: readonly AttackProfile[];
  readonly authenticate?: "all" | "at_least_one";
  readonly requireSigned?: boolean;
  readonly requireTimestamp?: boolean;
  readonly clock?: Clock;
  readonly replayCache?: string;
  /** Extra gateway.yaml lines (e.g. a `limits:` block). */
  readonly gatewayExtra?: string;
}

const PROFILE_YAML: Record<AttackProfile, string> = {
  rsa: `  - name: Partner RSA
    type: x509
    order: 100
    bind_session: true
    run_as_user: ${RUN_AS}
    certificate: certs/partner-rsa.pem
`,
  ec: `  - name: Partner EC
    type: x509
    order: 110
    bind_session: true
    run_as_user: ${RUN_AS}
    certificate: certs/partner-ec.pem
`,
  username: `  - name: Partner credentials
    type: username
    order: 200
    action: authenticate_with_user
    user_field: user_name
    bind_session: true
`,
};

const PROFILE_NAMES: Record<AttackProfile, string> = { rsa: "Partner RSA", ec: "Partner EC", username: "Partner credentials" };

export async function startAttackGateway(pki: AttackPki, options: AttackGatewayOptions): Promise<TestGateway> {
  const requireTimestamp = options.requireTimestamp === undefined ? "" : `    require_timestamp: ${options.requireTimestamp}\n`;
  return startTestGateway({
    clock: options.clock,
    replayCache: options.replayCache,
    files: {
      gateway: `basic_auth:
  required: true
ws_security:
  required: true
  default_policy: Default Security Policy
  timestamp_ttl_seconds: 300
  clock_skew_seconds: 60
strict_security: false
${options.gatewayExtra ?? ""}`,
      profiles: `profiles:\n${options.profiles.map((profile) => PROFILE_YAML[profile]).join("")}`,
      policies: `policies:
  - name: Default Security Policy
    type: inbound
    require_signed: ${options.requireSigned ?? true}
    authenticate: ${options.authenticate ?? "all"}
    profiles: ${JSON.stringify(options.profiles.map((profile) => PROFILE_NAMES[profile]))}
${requireTimestamp}`,
      tables: `tables:
  - name: incident
    columns:
      number: {type: string, max_length: 40}
      short_description: {type: string, max_length: 160}
      priority: {type: integer}
      active: {type: boolean}
  - name: problem
    columns:
      number: {type: string, max_length: 40}
`,
      users: `users:
  - user_name: caller
    password: caller-password
    roles: [soap]
  - user_name: alice
    password: alice-password
    roles: [soap]
  - user_name: ${RUN_AS}
    password: partner-password
    roles: [soap]
`,
    },
    extra: { "certs/partner-rsa.pem": pki.rsa.certPem, "certs/partner-ec.pem": pki.ec.certPem },
  });
}

let sequence = 0;

/** A fresh insert of one active incident with a unique number. */
export function incidentInsert(): { readonly xml: string; readonly number: string } {
  sequence += 1;
  const number = `ATK${process.pid}-${sequence}`;
  return { xml: soapEnvelope("incident", "insert", `<number>${number}</number><short_description>printer on fire</short_description><active>true</active>`), number };
}

export async function send(gateway: TestGateway, xml: string, table = "incident"): Promise<{ status: number; body: string; headers: Headers }> {
  return postSoap(gateway, table, xml, { authorization: CALLER });
}

function rowsOf(gateway: TestGateway): Record<string, unknown>[] {
  try {
    return gateway.rows("incident");
  } catch {
    return []; // the table is created on the first write
  }
}

/** Sends `xml`, asserts the SOAP 1.1 fault exactly (status, faultstring, faultcode), and that nothing was written. */
export async function expectFault(gateway: TestGateway, xml: string, expected: ExpectedFault, table = "incident"): Promise<{ status: number; body: string; headers: Headers }> {
  const before = rowsOf(gateway);
  const response = await send(gateway, xml, table);
  assert.deepEqual(
    { status: response.status, faultstring: textOf(response.body, "faultstring"), faultcode: textOf(response.body, "faultcode") },
    expected,
    response.body,
  );
  assert.deepEqual(rowsOf(gateway), before, "a refused request wrote or deleted rows");
  return response;
}

/** Sends `xml`, asserts 200 and that the row `number` was written by the run-as user. */
export async function expectAdmitted(gateway: TestGateway, xml: string, number: string): Promise<void> {
  const response = await send(gateway, xml);
  assert.equal(response.status, 200, response.body);
  const rows = rowsOf(gateway).filter((row) => row.number === number);
  assert.equal(rows.length, 1, `row ${number} written once`);
  assert.equal(rows[0]!.sys_created_by, RUN_AS);
}
