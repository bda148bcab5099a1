/**
 * The WS-Security stage through the real gateway: real HTTP on 127.0.0.1,
 * a real SQLite file, envelopes signed by our signer and by xmlsec1, zeep
 * and WSS4J. Every refusal asserts the HTTP status, the exact faultstring
 * and faultcode (SOAP 1.1) or Code/Subcode/Reason (SOAP 1.2), and that no
 * row was written (or deleted: the signed inserts are `active`, so a wrapped
 * attacker deleteMultiple of active records would show).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DOMParser, XMLSerializer, type Element } from "@xmldom/xmldom";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope, type SignOptions } from "../../src/wss/sign/index.js";
import { NS, WSS_TYPES } from "../../src/xml/ns.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import {
  missingToolReason,
  signWithWss4j,
  signWithXmlsec1,
  signWithZeep,
  WSS4J_KEY_REFERENCES,
  XMLSEC1_KEY_REFERENCES,
  ZEEP_KEY_REFERENCES,
} from "../helpers/signers.js";
import {
  addSecondSecurityHeader,
  addSecondTimestamp,
  duplicateIdBefore,
  moveSignedBodyIntoHeader,
  moveSignedBodyIntoSecurity,
  replaceBodyContent,
  replaceBstWithAttackerCert,
} from "../helpers/tamper.js";

// ------------------------------------------------------------ fixtures

const CALLER = basicAuth("caller", "caller-password");
const SAML_ASSERTION_ID = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID";

const USERS_YAML = `users:
  - user_name: caller
    password: caller-password
    roles: [soap]
  - user_name: alice
    email: alice@example.test
    password: alice-password
    roles: [soap]
  - user_name: bob
    email: bob@example.test
    password: bob-password
    roles: [soap]
  - user_name: partner.soap
    password: partner-password
    roles: [soap]
`;

function gatewayYaml(options: { debug?: boolean; required?: boolean } = {}): string {
  return `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: ${options.required ?? true}
  default_policy: Default Security Policy
  timestamp_ttl_seconds: 300
  clock_skew_seconds: 60
strict_security: false
debug: ${options.debug ?? false}
`;
}

function x509Profile(name: string, options: { order?: number; runAs?: string; active?: boolean } = {}): string {
  return `  - name: ${name}
    type: x509
    active: ${options.active ?? true}
    order: ${options.order ?? 100}
    bind_session: true
    run_as_user: ${options.runAs ?? "partner.soap"}
    certificate: certs/partner.pem
`;
}

function usernameProfile(name: string, options: { order?: number } = {}): string {
  return `  - name: ${name}
    type: username
    order: ${options.order ?? 200}
    action: authenticate_with_user
    user_field: user_name
    bind_session: true
`;
}

function policy(profiles: string[], options: { type?: string; requireSigned?: boolean; authenticate?: string } = {}): string {
  const inbound = options.type === "outbound" ? "" : `    require_signed: ${options.requireSigned ?? true}\n    authenticate: ${options.authenticate ?? "all"}\n`;
  return `policies:
  - name: Default Security Policy
    type: ${options.type ?? "inbound"}
${inbound}    profiles: ${JSON.stringify(profiles)}
`;
}

let pkiDir: string;
let partner: TestCertificate;
let attacker: TestCertificate;
const openGateways: TestGateway[] = [];

before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), "e2e-wss-pki-"));
  partner = makeCertificate(pkiDir, "partner", { key: "rsa2048", subject: "/C=US/O=Partner Inc/CN=partner.soap" });
  attacker = makeCertificate(pkiDir, "attacker", { key: "rsa2048", subject: "/C=US/O=Partner Inc/CN=partner.soap" });
});
after(async () => {
  await Promise.all(openGateways.map((gateway) => gateway.close()));
  rmSync(pkiDir, { recursive: true, force: true });
});

/** The default incident table plus an unbounded `notes` column (for large signed messages). */
const TABLES_YAML = `tables:
  - name: incident
    columns:
      number: {type: string, max_length: 40}
      short_description: {type: string, max_length: 160}
      priority: {type: integer}
      active: {type: boolean}
      notes: {type: string}
`;

async function startWith(files: { profiles: string; policies: string; gateway?: string }): Promise<TestGateway> {
  const gateway = await startTestGateway({
    files: { gateway: files.gateway ?? gatewayYaml(), profiles: files.profiles, policies: files.policies, users: USERS_YAML, tables: TABLES_YAML },
    extra: { "certs/partner.pem": partner.certPem },
  });
  openGateways.push(gateway);
  return gateway;
}

let numberSequence = 0;
/** A fresh insert of an active incident (a wrapped deleteMultiple of active records would remove it). */
function insertEnvelope(version: "1.1" | "1.2" = "1.1"): { xml: string; number: string } {
  numberSequence += 1;
  const number = `INC${String(numberSequence).padStart(7, "0")}`;
  const children = `<number>${number}</number><short_description>printer on fire</short_description><active>true</active>`;
  return { xml: soapEnvelope("incident", "insert", children, version), number };
}

function signedByPartner(xml: string, options: SignOptions = {}): string {
  return signEnvelope(xml, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, ...options });
}

/** Edits one parsed copy of `xml` (for the few tamperings tamper.ts does not offer). */
function editXml(xml: string, mutate: (document: ReturnType<DOMParser["parseFromString"]>) => void): string {
  const document = new DOMParser().parseFromString(xml, "text/xml");
  mutate(document);
  return new XMLSerializer().serializeToString(document);
}

function firstElement(document: ReturnType<DOMParser["parseFromString"]>, ns: string, localName: string): Element {
  const found = document.getElementsByTagNameNS(ns, localName)[0];
  assert.ok(found, `no ${localName} in the envelope`);
  return found;
}

interface Soap11Fault {
  readonly status: number;
  readonly faultstring: string;
  readonly faultcode: string;
}

async function send(gateway: TestGateway, xml: string, options: { authorization?: string; version?: "1.1" | "1.2" } = {}) {
  const contentType = options.version === "1.2" ? "application/soap+xml; charset=utf-8" : "text/xml; charset=utf-8";
  // A connection of its own: the external signers (JVM, Python) block this process for seconds, long enough for
  // the server to close an idle kept-alive connection that fetch would otherwise reuse ("fetch failed").
  return postSoap(gateway, "incident", xml, { authorization: options.authorization ?? CALLER, contentType, headers: { Connection: "close" } });
}

/** Sends `xml`, asserts the SOAP 1.1 fault exactly, and that the incident table is unchanged. */
async function assertRefused(gateway: TestGateway, xml: string, expected: Omit<Soap11Fault, "status">, authorization?: string) {
  const before = gateway.rows("incident");
  const response = await send(gateway, xml, { authorization });
  assert.deepEqual(
    { status: response.status, faultstring: textOf(response.body, "faultstring"), faultcode: textOf(response.body, "faultcode") },
    { status: 500, ...expected },
    response.body,
  );
  assert.deepEqual(gateway.rows("incident"), before, "a refused request wrote or deleted rows");
  // The reason goes to the audit log only: the fault has no detail, path or stack.
  assert.doesNotMatch(response.body, /<detail|detail>|\/work\/|\.ts:|at [A-Za-z]+ \(/);
  return response;
}

async function assertAdmitted(gateway: TestGateway, xml: string, number: string, writtenBy: string, authorization?: string) {
  const response = await send(gateway, xml, { authorization });
  assert.equal(response.status, 200, response.body);
  const row = gateway.rows("incident").find((candidate) => candidate.number === number);
  assert.ok(row, `no row ${number} was written`);
  assert.equal(row.sys_created_by, writtenBy);
  assert.equal(row.sys_updated_by, writtenBy);
}

const FAILED_CHECK = { faultstring: "Unable to verify signed request", faultcode: "wsse:FailedCheck" } as const;
const TOKEN_MISSING = { faultstring: "Failed to extract principal(s) from request", faultcode: "wsse:InvalidSecurityToken" } as const;
const UNKNOWN_TYPE = { faultstring: "Failed to authenticate WS-Security, unknown type", faultcode: "wsse:UnsupportedSecurityToken" } as const;
const AUTH_FAILED = { faultstring: "Failed to authenticate WS-Security", faultcode: "wsse:FailedAuthentication" } as const;
const EXPIRED = { faultstring: "WS-Security message expired", faultcode: "wsu:MessageExpired" } as const;
const REPLAYED = { faultstring: "WS-Security message replayed", faultcode: "wsse:FailedAuthentication" } as const;
const NOT_SIGNED = { faultstring: "SOAP request not Signed. Policy requires signing", faultcode: "wsse:InvalidSecurity" } as const;

// ------------------------------------------------------------ policy-level faults

describe("policy-level faults over HTTP", () => {
  test("default_policy names an outbound policy → Invalid Security Policy Selected (wsse:InvalidSecurity), nothing written", async () => {
    const gateway = await startWith({ profiles: `profiles:\n${x509Profile("Partner certificate")}`, policies: policy([], { type: "outbound" }) });
    const { xml } = insertEnvelope();
    await assertRefused(gateway, signedByPartner(xml), {
      faultstring: "Invalid Security Policy Selected. Select a Inbound policy for Inbound Requests",
      faultcode: "wsse:InvalidSecurity",
    });
  });

  test("ws_security.required false still verifies a present signature: altered → Unable to verify signed request, nothing written", async () => {
    const gateway = await startWith({
      gateway: gatewayYaml({ required: false }),
      profiles: `profiles:\n${x509Profile("Partner certificate")}`,
      policies: policy(["Partner certificate"]),
    });
    const { xml, number } = insertEnvelope();
    const signed = signedByPartner(xml);
    await assertRefused(gateway, replaceBodyContent(signed, "printer on fire", "printer is fine"), FAILED_CHECK);
    // Not required: the signature binds no session, the Basic user stays.
    await assertAdmitted(gateway, signed, number, "caller");
  });

  test("the policy's only profile is inactive → No profiles to authenticate (wsse:InvalidSecurity), nothing written", async () => {
    const gateway = await startWith({
      profiles: `profiles:\n${x509Profile("Partner certificate", { active: false })}`,
      policies: policy(["Partner certificate"], { requireSigned: false }),
    });
    await assertRefused(gateway, insertEnvelope().xml, { faultstring: "No profiles to authenticate", faultcode: "wsse:InvalidSecurity" });
  });
});

// ------------------------------------------------------------ the X.509 profile

describe("X.509 profile over HTTP (policy all: Partner certificate, run as partner.soap)", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startWith({ profiles: `profiles:\n${x509Profile("Partner certificate")}`, policies: policy(["Partner certificate"]) });
  });

  test("signed by the partner → 200, written by the run-as user partner.soap (not the Basic user)", async () => {
    const { xml, number } = insertEnvelope();
    await assertAdmitted(gateway, signedByPartner(xml), number, "partner.soap");
  });

  test("unsigned → SOAP request not Signed. Policy requires signing (wsse:InvalidSecurity)", async () => {
    await assertRefused(gateway, insertEnvelope().xml, NOT_SIGNED);
  });

  test("a Body value altered after signing → Unable to verify signed request (wsse:FailedCheck)", async () => {
    const signed = signedByPartner(insertEnvelope().xml);
    await assertRefused(gateway, replaceBodyContent(signed, "printer on fire", "printer is fine"), FAILED_CHECK);
  });

  test("the same signed request twice → 200, then WS-Security message replayed (wsse:FailedAuthentication)", async () => {
    const { xml, number } = insertEnvelope();
    const signed = signedByPartner(xml);
    await assertAdmitted(gateway, signed, number, "partner.soap");
    await assertRefused(gateway, signed, REPLAYED);
  });

  test("two wsse:Security headers for this receiver → Failed to extract principal(s) (wsse:InvalidSecurityToken)", async () => {
    await assertRefused(gateway, addSecondSecurityHeader(signedByPartner(insertEnvelope().xml)), TOKEN_MISSING);
  });

  test("two wsu:Timestamps in the Security header → Failed to extract principal(s) (wsse:InvalidSecurityToken)", async () => {
    await assertRefused(gateway, addSecondTimestamp(signedByPartner(insertEnvelope().xml)), TOKEN_MISSING);
  });

  test("key referenced by a KeyIdentifier of an unsupported ValueType (SAML assertion id) → unknown type (wsse:UnsupportedSecurityToken)", async () => {
    const signed = signedByPartner(insertEnvelope().xml, { keyReference: "ski" });
    const samlReference = editXml(signed, (document) => {
      firstElement(document, NS.wsse, "KeyIdentifier").setAttribute("ValueType", SAML_ASSERTION_ID);
    });
    assert.ok(samlReference.includes(SAML_ASSERTION_ID) && !samlReference.includes(WSS_TYPES.x509SubjectKeyIdentifier));
    await assertRefused(gateway, samlReference, UNKNOWN_TYPE);
  });

  test("the attacker's certificate in the BinarySecurityToken, SignedInfo re-signed with the attacker's key → Failed to authenticate WS-Security", async () => {
    const signed = signedByPartner(insertEnvelope().xml);
    await assertRefused(gateway, replaceBstWithAttackerCert(signed, attacker), AUTH_FAILED);
  });

  test("a Timestamp signed ten minutes ago that expired five minutes ago → WS-Security message expired (wsu:MessageExpired)", async () => {
    const tenMinutesAgo = new ManualClock(Date.now() - 600_000);
    await assertRefused(gateway, signedByPartner(insertEnvelope().xml, { clock: tenMinutesAgo }), EXPIRED);
  });

  test("the signed Body moved into a header block, an attacker Body in its place → Unable to verify signed request", async () => {
    await assertRefused(gateway, moveSignedBodyIntoHeader(signedByPartner(insertEnvelope().xml)), FAILED_CHECK);
  });

  test("SOAP 1.2 (application/soap+xml with an action parameter) signed by the partner → 200, written by partner.soap", async () => {
    const { xml, number } = insertEnvelope("1.2");
    const response = await postSoap(gateway, "incident", signedByPartner(xml), {
      authorization: CALLER,
      contentType: 'application/soap+xml; charset=utf-8; action="insert"',
    });
    assert.equal(response.status, 200, response.body);
    assert.equal(gateway.rows("incident").find((row) => row.number === number)?.sys_created_by, "partner.soap");
  });

  test("a 1 MB signed insert → 200, the whole signed value written; one byte changed in it → Unable to verify signed request", async () => {
    const notes = "0123456789abcdef".repeat(64 * 1024);
    const number = "INC-1MB";
    const signed = signedByPartner(
      soapEnvelope("incident", "insert", `<number>${number}</number><notes>${notes}</notes><active>true</active>`),
    );
    assert.ok(signed.length > 1_000_000);
    await assertRefused(gateway, signed.replace("0123456789abcdef</notes>", "0123456789abcdeF</notes>"), FAILED_CHECK);
    await assertAdmitted(gateway, signed, number, "partner.soap");
    assert.equal(gateway.rows("incident").find((row) => row.number === number)?.notes, notes);
  });

  // Edits that keep the canonical form (and so the digest) must not change what is written either:
  // the operation reads the whole text the signature covered, never a fragment of it.
  for (const [edit, replacement] of [
    ["a comment splitting the signed value", "printer <!--x-->on fire"],
    ["the signed value as CDATA", "<![CDATA[printer on fire]]>"],
    ["a character reference in the signed value", "printer &#111;n fire"],
  ] as const) {
    test(`${edit} → still verifies, and the row holds the full signed text`, async () => {
      const { xml, number } = insertEnvelope();
      const signed = signedByPartner(xml);
      const edited = signed.replace("printer on fire", replacement);
      assert.notEqual(edited, signed);
      await assertAdmitted(gateway, edited, number, "partner.soap");
      assert.equal(gateway.rows("incident").find((row) => row.number === number)?.short_description, "printer on fire");
    });
  }

  test("debug: false → refusals are audited but no ws-security trace is logged", async () => {
    const response = await assertRefused(gateway, insertEnvelope().xml, NOT_SIGNED);
    const requestId = response.headers.get("x-request-id");
    const lines = gateway.logLines();
    assert.ok(lines.some((line) => (line.audit as { requestId?: string } | undefined)?.requestId === requestId));
    assert.equal(lines.filter((line) => line.msg === "ws-security trace").length, 0);
  });
});

// ------------------------------------------------------------ SOAP 1.2 faults

describe("SOAP 1.2 faults carry Code/Value soapenv:Sender, Subcode/Value wsse:…, Reason/Text", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startWith({ profiles: `profiles:\n${x509Profile("Partner certificate")}`, policies: policy(["Partner certificate"]) });
  });

  const cases = [
    { name: "unsigned", make: () => insertEnvelope("1.2").xml, ...NOT_SIGNED },
    {
      name: "altered after signing",
      make: () => replaceBodyContent(signedByPartner(insertEnvelope("1.2").xml), "printer on fire", "printer is fine"),
      ...FAILED_CHECK,
    },
    { name: "expired", make: () => signedByPartner(insertEnvelope("1.2").xml, { clock: new ManualClock(Date.now() - 600_000) }), ...EXPIRED },
  ];
  for (const { name, make, faultstring, faultcode } of cases) {
    test(`SOAP 1.2, ${name} → 500 application/soap+xml, Sender / ${faultcode} / "${faultstring}", nothing written`, async () => {
      const before = gateway.rows("incident");
      const response = await send(gateway, make(), { version: "1.2" });
      assert.equal(response.status, 500, response.body);
      assert.match(response.headers.get("content-type") ?? "", /^application\/soap\+xml/);
      const fault = new DOMParser().parseFromString(response.body, "text/xml");
      const code = firstElement(fault, NS.soap12, "Code");
      const [value, subcode] = [...elementChildren(code)];
      assert.equal(value?.localName, "Value");
      assert.equal(value?.textContent, "soapenv:Sender");
      assert.equal(subcode?.localName, "Subcode");
      const subcodeValue = elementChildren(subcode!)[0]!;
      assert.equal(subcodeValue.textContent, faultcode);
      const prefix = faultcode.split(":")[0]!;
      assert.equal(subcodeValue.lookupNamespaceURI(prefix), prefix === "wsu" ? NS.wsu : NS.wsse);
      assert.equal(firstElement(fault, NS.soap12, "Text").textContent, faultstring);
      assert.equal(fault.getElementsByTagName("faultstring").length, 0);
      assert.deepEqual(gateway.rows("incident"), before);
    });
  }
});

function elementChildren(parent: Element): Element[] {
  return Array.from(parent.childNodes).filter((node): node is Element => node.nodeType === 1);
}

// ------------------------------------------------------------ the UsernameToken profile

describe("UsernameToken profile over HTTP (signing not required; authenticate_with_user; debug on)", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startWith({
      gateway: gatewayYaml({ debug: true }),
      profiles: `profiles:\n${usernameProfile("Partner credentials")}`,
      policies: policy(["Partner credentials"], { requireSigned: false }),
    });
  });

  test("bob's UsernameToken (PasswordDigest) → 200, written by the matched user bob (not the Basic user)", async () => {
    const { xml, number } = insertEnvelope();
    await assertAdmitted(gateway, signEnvelope(xml, { username: "bob", password: "bob-password", passwordType: "digest" }), number, "bob");
  });

  test("a wrong UsernameToken password → Failed to authenticate WS-Security (wsse:FailedAuthentication)", async () => {
    const xml = signEnvelope(insertEnvelope().xml, { username: "bob", password: "not-bobs-password" });
    await assertRefused(gateway, xml, AUTH_FAILED);
  });

  test("a PasswordDigest without a Nonce → Failed to extract principal(s) from request (wsse:InvalidSecurityToken)", async () => {
    const withNonce = signEnvelope(insertEnvelope().xml, { username: "bob", password: "bob-password", passwordType: "digest" });
    const withoutNonce = editXml(withNonce, (document) => {
      const nonce = firstElement(document, NS.wsse, "Nonce");
      nonce.parentNode!.removeChild(nonce);
    });
    await assertRefused(gateway, withoutNonce, TOKEN_MISSING);
  });

  test("a Password of an unknown Type → Failed to authenticate WS-Security, unknown type (wsse:UnsupportedSecurityToken)", async () => {
    const xml = editXml(signEnvelope(insertEnvelope().xml, { username: "bob", password: "bob-password" }), (document) => {
      firstElement(document, NS.wsse, "Password").setAttribute("Type", "urn:example:PasswordHash");
    });
    await assertRefused(gateway, xml, UNKNOWN_TYPE);
  });

  test("a UsernameToken whose Created is ten minutes old → WS-Security message expired (wsu:MessageExpired)", async () => {
    const xml = signEnvelope(insertEnvelope().xml, {
      username: "bob",
      password: "bob-password",
      passwordType: "digest",
      clock: new ManualClock(Date.now() - 600_000),
    });
    await assertRefused(gateway, xml, EXPIRED);
  });

  test("the same (username, nonce) in a new request → WS-Security message replayed (wsse:FailedAuthentication)", async () => {
    const nonce = Buffer.from("e2e-replayed-nonce-0001");
    const first = insertEnvelope();
    await assertAdmitted(gateway, signEnvelope(first.xml, { username: "bob", password: "bob-password", passwordType: "digest", nonce }), first.number, "bob");
    const second = signEnvelope(insertEnvelope().xml, { username: "bob", password: "bob-password", passwordType: "digest", nonce });
    await assertRefused(gateway, second, REPLAYED);
  });

  test('debug: true logs a "ws-security trace" whose steps explain the refusal and hold no secret', async () => {
    const nonce = Buffer.from("e2e-debug-trace-nonce");
    const wrongPassword = "hunter2-wrong-password";
    const xml = signEnvelope(insertEnvelope().xml, { username: "bob", password: wrongPassword, passwordType: "text", nonce });
    const response = await assertRefused(gateway, xml, AUTH_FAILED);
    const requestId = response.headers.get("x-request-id");
    const trace = gateway.logLines().find((line) => line.msg === "ws-security trace" && line.requestId === requestId);
    assert.ok(trace, "no ws-security trace line for the refused request");
    const steps = trace.steps as string[];
    assert.match(steps[0]!, /^policy "Default Security Policy": require_signed false, authenticate all; active profiles: "Partner credentials"/);
    assert.ok(
      steps.includes('profile "Partner credentials" (username): failed: PasswordText does not match'),
      `the steps do not say why: ${JSON.stringify(steps)}`,
    );
    const log = gateway.rawLog();
    for (const secret of [wrongPassword, "bob-password", "caller-password", nonce.toString("base64"), CALLER.slice("Basic ".length)]) {
      assert.ok(!log.includes(secret), `the log reveals a secret: ${secret}`);
    }
  });
});

// ------------------------------------------------------------ session binding

describe("session binding: the last passed bind_session profile's user writes the row", () => {
  const bothProfiles = (x509Order: number, usernameOrder: number): string =>
    `profiles:\n${x509Profile("Partner certificate", { order: x509Order, runAs: "alice" })}${usernameProfile("Partner credentials", { order: usernameOrder })}`;
  const bothTokens = (xml: string): string => signedByPartner(xml, { username: "bob", password: "bob-password", passwordType: "digest" });

  test("at_least_one, x509 (run as alice, order 100) then username (bob, order 200), both pass → written by bob", async () => {
    const gateway = await startWith({
      profiles: bothProfiles(100, 200),
      policies: policy(["Partner certificate", "Partner credentials"], { authenticate: "at_least_one" }),
    });
    const { xml, number } = insertEnvelope();
    await assertAdmitted(gateway, bothTokens(xml), number, "bob");
  });

  test("the same request with the username profile first (order 50) → written by alice, the run-as user of the x509 profile", async () => {
    const gateway = await startWith({
      profiles: bothProfiles(100, 50),
      policies: policy(["Partner certificate", "Partner credentials"], { authenticate: "at_least_one" }),
    });
    const { xml, number } = insertEnvelope();
    await assertAdmitted(gateway, bothTokens(xml), number, "alice");
  });

  test("at_least_one, neither passes (the attacker's signature, bob's password wrong) → Failed to authenticate WS-Security", async () => {
    const gateway = await startWith({
      profiles: bothProfiles(100, 200),
      policies: policy(["Partner certificate", "Partner credentials"], { authenticate: "at_least_one" }),
    });
    const xml = signEnvelope(insertEnvelope().xml, {
      key: attacker.keyPem,
      cert: attacker.certPem,
      timestampSeconds: 300,
      username: "bob",
      password: "wrong-password",
    });
    await assertRefused(gateway, xml, AUTH_FAILED);
  });

  test("at_least_one with only the signature good (bob's password wrong) → written by alice", async () => {
    const gateway = await startWith({
      profiles: bothProfiles(100, 200),
      policies: policy(["Partner certificate", "Partner credentials"], { authenticate: "at_least_one" }),
    });
    const { xml, number } = insertEnvelope();
    const signed = signedByPartner(xml, { username: "bob", password: "wrong-password" });
    await assertAdmitted(gateway, signed, number, "alice");
  });
});

// ------------------------------------------------------------ independent signers

describe("envelopes signed by xmlsec1, zeep and WSS4J are admitted through HTTP; wrapped copies are refused", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startWith({ profiles: `profiles:\n${x509Profile("Partner certificate")}`, policies: policy(["Partner certificate"]) });
  });

  const signers = [
    ...XMLSEC1_KEY_REFERENCES.map((keyReference) => ({
      tool: "xmlsec1" as const,
      keyReference,
      sign: (xml: string) => signWithXmlsec1(xml, partner, { keyReference, timestampSeconds: 300 }),
    })),
    ...ZEEP_KEY_REFERENCES.map((keyReference) => ({
      tool: "zeep" as const,
      keyReference,
      sign: (xml: string) => signWithZeep(xml, partner, { keyReference, timestampSeconds: 300 }),
    })),
    ...WSS4J_KEY_REFERENCES.map((keyReference) => ({
      tool: "wss4j" as const,
      keyReference,
      sign: (xml: string) => signWithWss4j(xml, partner, { keyReference, timestampSeconds: 300 }),
    })),
  ];

  for (const { tool, keyReference, sign } of signers) {
    test(`${tool} (${keyReference}) → 200 written by partner.soap; wrapped copies (Body moved into Security, duplicate wsu:Id) refused first`, { skip: missingToolReason(tool) }, async () => {
      const { xml, number } = insertEnvelope();
      const signed = sign(xml);
      // Wrapped copies first: they must not consume the signature nor delete the rows already written.
      await assertRefused(gateway, moveSignedBodyIntoSecurity(signed), FAILED_CHECK);
      await assertRefused(gateway, duplicateIdBefore(signed), FAILED_CHECK);
      await assertAdmitted(gateway, signed, number, "partner.soap");
    });
  }
});
