/**
 * The wsu:Timestamp rules (SPEC §5): at most one in our Security header;
 * Created not beyond the skew in the future and not older than the TTL;
 * Expires not passed; a readable Created with a time zone.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { parseZonedDateTime } from "../../src/wss/processors/timestamp.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, usernameProfileYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";
import { tamperable } from "../helpers/wss-dom.js";

describe("Timestamp", () => {
  let partner: TestCertificate;
  let signedPolicy: GatewayConfig;
  let unsignedPolicy: GatewayConfig;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-timestamp-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048" });
    signedPolicy = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, { "certs/partner.pem": partner.certPem });
    unsignedPolicy = wssConfig({
      profiles: [usernameProfileYaml("Partner credentials", { action: "authenticate_with_user" })],
      policies: [policyYaml(["Partner credentials"], { requireSigned: false })],
    });
  });

  function signedAt(signingClock: ManualClock, timestampSeconds = 300): string {
    return signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds, clock: signingClock });
  }

  async function expectOutcome(config: GatewayConfig, xml: string, clock: ManualClock, expected: string, reason?: RegExp): Promise<void> {
    const decision = await decide(config, xml, { clock });
    assert.equal(outcomeOf(decision), expected, JSON.stringify(decision));
    if (reason) assert.match(decision.kind === "bypassed" ? "" : decision.steps.join("\n"), reason);
  }

  test("Created older than timestamp_ttl_seconds → WS-Security message expired", async () => {
    const clock = new ManualClock();
    const xml = signedAt(new ManualClock(clock.now().getTime() - 301_000), 3600);
    await expectOutcome(signedPolicy, xml, clock, "WS-Security message expired", /Timestamp Created is 301s old \(TTL 300s\)/);
  });

  test("Created in the future beyond clock_skew_seconds → WS-Security message expired; within it → admitted", async () => {
    const clock = new ManualClock();
    await expectOutcome(signedPolicy, signedAt(new ManualClock(clock.now().getTime() + 61_000)), clock, "WS-Security message expired", /in the future \(skew 60s\)/);
    await expectOutcome(signedPolicy, signedAt(new ManualClock(clock.now().getTime() + 59_000)), clock, "admitted");
  });

  test("Expires passed (beyond the skew) while Created is within the TTL → WS-Security message expired", async () => {
    const clock = new ManualClock();
    const xml = signedAt(new ManualClock(clock.now().getTime() - 200_000), 60);
    await expectOutcome(signedPolicy, xml, clock, "WS-Security message expired", /Expires has passed/);
  });

  test("a second wsu:Timestamp in the Security header → Failed to extract principal(s) from request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signedAt(clock));
    const timestamp = dom.one(NS.wsu, "Timestamp");
    const copy = timestamp.cloneNode(true) as typeof timestamp;
    copy.removeAttributeNS(NS.wsu, "Id");
    timestamp.parentNode!.appendChild(copy);
    await expectOutcome(signedPolicy, dom.xml(), clock, "Failed to extract principal(s) from request", /2 wsu:Timestamp elements/);
  });

  test("a Timestamp without Created → Failed to extract principal(s) from request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "alice-password", timestampSeconds: 300, clock }));
    const created = dom.all(NS.wsu, "Created").find((element) => element.parentNode === dom.one(NS.wsu, "Timestamp"))!;
    created.parentNode!.removeChild(created);
    await expectOutcome(unsignedPolicy, dom.xml(), clock, "Failed to extract principal(s) from request", /needs exactly one wsu:Created/);
  });

  test("an unsigned request's Timestamp is checked too → WS-Security message expired", async () => {
    const clock = new ManualClock();
    const xml = signEnvelope(SOAP11_ENVELOPE, { username: "alice", password: "alice-password", timestampSeconds: 3600, clock: new ManualClock(clock.now().getTime() - 400_000) });
    await expectOutcome(unsignedPolicy, xml, clock, "WS-Security message expired");
  });

  test("xsd:dateTime parsing: Z and offsets name an instant; no zone, impossible dates and junk do not", () => {
    assert.equal(parseZonedDateTime("2024-02-29T10:00:00Z")?.toISOString(), "2024-02-29T10:00:00.000Z");
    assert.equal(parseZonedDateTime("2024-02-29T10:00:00.123456Z")?.toISOString(), "2024-02-29T10:00:00.123Z");
    assert.equal(parseZonedDateTime("2024-02-29T12:30:00+02:30")?.toISOString(), "2024-02-29T10:00:00.000Z");
    assert.equal(parseZonedDateTime("2024-02-29T05:00:00-05:00")?.toISOString(), "2024-02-29T10:00:00.000Z");
    for (const bad of ["2024-02-29T10:00:00", "2023-02-29T10:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "yesterday", "2024-01-01T00:00:00+15:00"]) {
      assert.equal(parseZonedDateTime(bad), undefined, bad);
    }
  });
});
