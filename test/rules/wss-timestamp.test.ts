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
import fc from "fast-check";
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

  test("xsd:dateTime parsing by position accepts and refuses exactly what the grammar's regular expression does", () => {
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
    const zone = fc.oneof(fc.constant("Z"), fc.tuple(fc.constantFrom("+", "-"), digits(2, 2), digits(2, 2)).map(([sign, h, m]) => `${sign}${h}:${m}`));
    const wellShaped = fc
      .tuple(digits(4, 4), digits(2, 2), digits(2, 2), digits(2, 2), digits(2, 2), digits(2, 2), fc.option(digits(1, 11)), fc.option(zone))
      .map(([y, mo, d, h, mi, s, fraction, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction === null ? "" : `.${fraction}`}${z ?? ""}`);
    // Mutations: a character replaced, inserted or removed, and white space around (trimmed).
    const mutated = fc
      .tuple(wellShaped, fc.nat(40), fc.constantFrom("", "0", "9", "-", ":", ".", "T", "Z", "+", " ", "\u00a0", "\u0660", "x"), fc.constantFrom("replace", "insert", "remove", "pad"))
      .map(([text, at, unit, how]) => {
        const i = Math.min(at, text.length);
        if (how === "replace") return text.slice(0, i) + unit + text.slice(i + 1);
        if (how === "insert") return text.slice(0, i) + unit + text.slice(i);
        if (how === "remove") return text.slice(0, i) + text.slice(i + 1);
        return ` ${text}\n`;
      });
    fc.assert(
      fc.property(fc.oneof(wellShaped, mutated, fc.string({ maxLength: 40 })), (text) => {
        assert.equal(parseZonedDateTime(text)?.getTime(), parseByRegularExpression(text)?.getTime(), JSON.stringify(text));
      }),
      { numRuns: 20_000 },
    );
  });
});

/** The grammar as a regular expression: the parser before it read by position, kept as the oracle. */
function parseByRegularExpression(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const milliseconds = match[7] ? Number(match[7].slice(0, 3).padEnd(3, "0")) : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, milliseconds);
  if (new Date(utc).getUTCDate() !== day) return undefined;
  const zone = match[8]!;
  let offsetMinutes = 0;
  if (zone !== "Z") {
    const [offsetHours, offsetRest] = zone.slice(1).split(":").map(Number) as [number, number];
    if (offsetHours > 14 || offsetRest > 59) return undefined;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  return new Date(utc - offsetMinutes * 60_000);
}
