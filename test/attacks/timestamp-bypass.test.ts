/**
 * Timestamp bypasses (issue 9 items 2, 3, 10; SPEC §5 Timestamp coverage,
 * Username profile, Timestamp). A message signed an hour ago over Body and
 * Timestamp, with its wsu:Timestamp moved where it is never checked for
 * freshness; a signed message with no Timestamp at all; a UsernameToken
 * Nonce without Created; an Expires passed by less than the clock skew.
 * Each is refused with the exact SPEC fault, and nothing is written.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { expectAdmitted, expectFault, FAULTS_OVER_HTTP, incidentInsert, makeAttackPki, startAttackGateway, type AttackPki } from "../helpers/attack-gateway.js";
import type { TestGateway } from "../helpers/gateway.js";
import { FOREIGN_ACTOR } from "../helpers/tamper.js";
import { tamperable } from "../helpers/wss-dom.js";

const SOAP11 = NS.soap11;
const ATTACKER = "urn:example:attacker";

type Relocation = "custom header" | "another actor's Security header" | "a wrapper inside our Security header" | 'a mustUnderstand="0" header';

/** Moves the signed wsu:Timestamp out of our Security header into `where` (nothing is re-signed). */
function moveTimestamp(signed: string, where: Relocation): string {
  const dom = tamperable(signed);
  const timestamp = dom.one(NS.wsu, "Timestamp");
  const security = dom.one(NS.wsse, "Security");
  const header = dom.one(SOAP11, "Header");
  timestamp.parentNode!.removeChild(timestamp);
  let container;
  switch (where) {
    case "custom header":
      container = dom.fragment(`<x:Custom xmlns:x="${ATTACKER}"/>`);
      header.appendChild(container);
      break;
    case "another actor's Security header":
      container = dom.fragment(`<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:soapenv="${SOAP11}" soapenv:actor="${FOREIGN_ACTOR}"/>`);
      header.appendChild(container);
      break;
    case "a wrapper inside our Security header":
      container = dom.fragment(`<x:Wrapper xmlns:x="${ATTACKER}"/>`);
      security.appendChild(container);
      break;
    case 'a mustUnderstand="0" header':
      container = dom.fragment(`<x:Custom xmlns:x="${ATTACKER}" xmlns:soapenv="${SOAP11}" soapenv:mustUnderstand="0"/>`);
      header.appendChild(container);
      break;
  }
  container.appendChild(timestamp);
  return dom.xml();
}

describe("Timestamp bypasses over HTTP", () => {
  let pki: AttackPki;
  const clock = new ManualClock();
  let gateway: TestGateway;
  let usernameGateway: TestGateway;
  let lenientGateway: TestGateway;

  before(async () => {
    pki = makeAttackPki();
    gateway = await startAttackGateway(pki, { profiles: ["rsa"], clock });
    usernameGateway = await startAttackGateway(pki, { profiles: ["username"], requireSigned: false, clock });
    lenientGateway = await startAttackGateway(pki, { profiles: ["rsa"], requireTimestamp: false, clock });
    // The gateways' replay memory begins at their start, and a message created before it is refused
    // as expired (SPEC §7, test/attacks/replay-epoch.test.ts); these tests sign messages up to 90 s
    // old, so time moves past the epoch first.
    clock.advanceSeconds(600);
  });
  after(async () => {
    await Promise.all([gateway, usernameGateway, lenientGateway].map((running) => running?.close()));
  });

  const signedAnHourAgo = (xml: string): string =>
    signEnvelope(xml, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, timestampSeconds: 300, clock: new ManualClock(clock.now().getTime() - 3600_000) });

  for (const where of ["custom header", "another actor's Security header", "a wrapper inside our Security header", 'a mustUnderstand="0" header'] as const) {
    test(`message signed an hour ago with its signed Timestamp moved into ${where} → Unable to verify signed request, nothing written`, async () => {
      const { xml } = incidentInsert();
      await expectFault(gateway, moveTimestamp(signedAnHourAgo(xml), where), FAULTS_OVER_HTTP.failedCheck);
    });
    test(`require_timestamp: false, signed Timestamp moved into ${where} → still Unable to verify signed request`, async () => {
      const { xml } = incidentInsert();
      await expectFault(lenientGateway, moveTimestamp(signedAnHourAgo(xml), where), FAULTS_OVER_HTTP.failedCheck);
    });
  }

  test("the same message with its Timestamp where it belongs → WS-Security message expired (the Timestamp is checked)", async () => {
    const { xml } = incidentInsert();
    await expectFault(gateway, signedAnHourAgo(xml), FAULTS_OVER_HTTP.expired);
  });

  test("signed message without a Timestamp (zeep's documented recipe) under require_timestamp (default) → Failed to extract principal(s) from request, nothing written", async () => {
    const { xml } = incidentInsert();
    const signed = signEnvelope(xml, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, clock });
    await expectFault(gateway, signed, FAULTS_OVER_HTTP.tokenMissing);
  });

  test("require_timestamp: false admits a signed message without a Timestamp; our header's Timestamp must still be signed", async () => {
    const first = incidentInsert();
    await expectAdmitted(lenientGateway, signEnvelope(first.xml, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, clock }), first.number);
    const second = incidentInsert();
    const bodyOnly = signEnvelope(second.xml, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, timestampSeconds: 300, signedParts: ["body"], clock });
    await expectFault(lenientGateway, bodyOnly, FAULTS_OVER_HTTP.failedCheck);
  });

  for (const passwordType of ["text", "digest"] as const) {
    test(`UsernameToken (${passwordType}) with a Nonce and no Created → Failed to extract principal(s) from request, nothing written`, async () => {
      const { xml } = incidentInsert();
      const dom = tamperable(signEnvelope(xml, { username: "alice", password: "alice-password", passwordType, clock }));
      const created = dom.all(NS.wsu, "Created").find((element) => element.parentNode?.localName === "UsernameToken");
      assert.ok(created);
      created.parentNode!.removeChild(created);
      await expectFault(usernameGateway, dom.xml(), FAULTS_OVER_HTTP.tokenMissing);
    });
  }

  test("Timestamp whose Expires passed 30 s ago (less than the 60 s clock skew) → WS-Security message expired, nothing written", async () => {
    const { xml } = incidentInsert();
    const signed = signEnvelope(xml, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, timestampSeconds: 60, clock: new ManualClock(clock.now().getTime() - 90_000) });
    await expectFault(gateway, signed, FAULTS_OVER_HTTP.expired);
  });

  test("Timestamp whose Expires is 1 s ahead → admitted (the boundary of the rule above)", async () => {
    const { xml, number } = incidentInsert();
    const signed = signEnvelope(xml, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, timestampSeconds: 60, clock: new ManualClock(clock.now().getTime() - 59_000) });
    await expectAdmitted(gateway, signed, number);
  });
});
