/**
 * Key confusion: the message names or carries a key, but only the
 * configured (pinned) certificate's key may verify the signature. An
 * attacker's certificate in a BinarySecurityToken, a reference to a
 * different token, a raw KeyValue, an HMAC keyed with the public
 * certificate, an algorithm that does not fit the key — all refused.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { canonicalize } from "../../src/wss/c14n.js";
import { signEnvelope, type SignOptions } from "../../src/wss/sign/index.js";
import { DSIG_ALGORITHMS, NS, WSS_TYPES } from "../../src/xml/ns.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";
import { resign, tamperable } from "../helpers/wss-dom.js";

describe("key confusion", () => {
  let partner: TestCertificate;
  let attacker: TestCertificate;
  let attackerEc: TestCertificate;
  let other: TestCertificate;
  let config: GatewayConfig;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-key-confusion-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048", subject: "/O=Partner/CN=partner.example" });
    // Same subject as the partner: only the key and bytes differ.
    attacker = makeCertificate(dir, "attacker", { key: "rsa2048", subject: "/O=Partner/CN=partner.example" });
    attackerEc = makeCertificate(dir, "attacker-ec", { key: "ec-p256" });
    other = makeCertificate(dir, "other", { key: "rsa2048", subject: "/CN=other.example" });
    config = wssConfig(
      {
        profiles: [
          x509ProfileYaml("Partner certificate", "certs/partner.pem", { runAs: "partner.soap" }),
          x509ProfileYaml("Other partner", "certs/other.pem", { order: 300, runAs: "alice" }),
        ],
        policies: [policyYaml(["Partner certificate"])],
      },
      { "certs/partner.pem": partner.certPem, "certs/other.pem": other.certPem },
    );
  });

  function sign(by: TestCertificate, clock: ManualClock, options: Partial<SignOptions> = {}): string {
    return signEnvelope(SOAP11_ENVELOPE, { key: by.keyPem, cert: by.certPem, timestampSeconds: 300, clock, ...options });
  }

  async function expectRefused(xml: string, clock: ManualClock, faultString: string, reason: RegExp): Promise<void> {
    const decision = await decide(config, xml, { clock });
    assert.equal(outcomeOf(decision), faultString, JSON.stringify(decision));
    assert.match(decision.kind === "refused" ? decision.steps.join("\n") : "", reason);
  }

  test("attacker's own key and certificate in the BinarySecurityToken → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    await expectRefused(sign(attacker, clock), clock, "Failed to authenticate WS-Security", /not the configured certificate/);
  });

  test("attacker's certificate as ds:X509Data/X509Certificate → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    await expectRefused(sign(attacker, clock, { keyReference: "x509data" }), clock, "Failed to authenticate WS-Security", /not the configured certificate/);
  });

  test("the pinned certificate's BinarySecurityToken, signed with the attacker's key → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(attacker, clock));
    const token = dom.one(NS.wsse, "BinarySecurityToken");
    token.textContent = partnerDerBase64();
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /SignatureValue does not verify/);
  });

  test("another configured certificate (another profile's) in the BinarySecurityToken, signed with its key → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    // The token's text is exactly a configured certificate's base64 (read without decoding): it still names only that certificate.
    await expectRefused(sign(other, clock), clock, "Failed to authenticate WS-Security", /not the configured certificate/);
  });

  test("the pinned certificate's BinarySecurityToken in 64-column lines (decoded, not matched as text) → admitted", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(partner, clock));
    dom.one(NS.wsse, "BinarySecurityToken").textContent = `\n${partnerDerBase64().replace(/.{64}/g, "$&\n")}\n`;
    const decision = await decide(config, dom.xml(), { clock });
    assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
  });

  test("IssuerSerial naming the pinned certificate, signed with the attacker's key of the same subject → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(attacker, clock, { keyReference: "issuer-serial" }));
    const serial = dom.one(NS.ds, "X509SerialNumber");
    serial.textContent = partnerCertificate().serialNumberDecimal;
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /SignatureValue does not verify/);
  });

  test("STR pointing at the attacker's token while the pinned certificate's token is also present → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(attacker, clock));
    const decoy = dom.fragment(
      `<wsse:BinarySecurityToken xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" wsu:Id="pinned-token" ValueType="${WSS_TYPES.x509v3}" EncodingType="${WSS_TYPES.base64Binary}">${partnerDerBase64()}</wsse:BinarySecurityToken>`,
    );
    const security = dom.one(NS.wsse, "Security");
    security.insertBefore(decoy, security.firstChild);
    await expectRefused(dom.xml(), clock, "Failed to authenticate WS-Security", /not the configured certificate/);
  });

  test("STR pointing at a BinarySecurityToken inside a Security header for another actor → Failed to extract principal(s) from request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(partner, clock));
    const token = dom.one(NS.wsse, "BinarySecurityToken");
    const otherHeader = dom.fragment(`<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:soapenv="${NS.soap11}" soapenv:actor="urn:other"/>`);
    otherHeader.appendChild(token);
    dom.one(NS.soap11, "Header").appendChild(otherHeader);
    await expectRefused(dom.xml(), clock, "Failed to extract principal(s) from request", /not point at a BinarySecurityToken of this Security header/);
  });

  test("STR pointing at the UsernameToken → Failed to authenticate WS-Security, unknown type", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(partner, clock, { username: "alice", password: "alice-password" }));
    const usernameTokenId = dom.one(NS.wsse, "UsernameToken").getAttributeNS(NS.wsu, "Id")!;
    const reference = dom.one(NS.wsse, "Reference");
    reference.setAttribute("URI", `#${usernameTokenId}`);
    reference.removeAttribute("ValueType");
    resign(dom.one(NS.ds, "Signature"), partner.keyPem);
    await expectRefused(dom.xml(), clock, "Failed to authenticate WS-Security, unknown type", /points at a UsernameToken/);
  });

  test("BinarySecurityToken of type X509PKIPathv1 → Failed to authenticate WS-Security, unknown type", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(partner, clock));
    dom.one(NS.wsse, "BinarySecurityToken").setAttribute("ValueType", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509PKIPathv1");
    dom.one(NS.wsse, "Reference").removeAttribute("ValueType");
    await expectRefused(dom.xml(), clock, "Failed to authenticate WS-Security, unknown type", /is not X509v3/);
  });

  test("raw ds:KeyValue with the attacker's public key → Failed to authenticate WS-Security, unknown type", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(attacker, clock, { keyReference: "x509data" }));
    const keyInfo = dom.one(NS.ds, "KeyInfo");
    while (keyInfo.firstChild) keyInfo.removeChild(keyInfo.firstChild);
    keyInfo.appendChild(dom.fragment(`<ds:KeyValue xmlns:ds="${NS.ds}"><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus><ds:Exponent>AQAB</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>`));
    await expectRefused(dom.xml(), clock, "Failed to authenticate WS-Security, unknown type", /KeyValue is not supported/);
  });

  test("HMAC-SHA1 keyed with the pinned certificate's bytes → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(partner, clock));
    dom.one(NS.ds, "SignatureMethod").setAttribute("Algorithm", DSIG_ALGORITHMS.signature.hmacSha1);
    const canonical = canonicalize(dom.one(NS.ds, "SignedInfo"), DSIG_ALGORITHMS.c14n.exclusive);
    assert.equal(canonical.kind, "canonical");
    const forged = createHmac("sha1", Buffer.from(partnerDerBase64(), "base64")).update(canonical.kind === "canonical" ? canonical.text : "").digest("base64");
    dom.one(NS.ds, "SignatureValue").textContent = forged;
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /signature algorithm .*hmac-sha1.* is not allowed/);
  });

  test("ECDSA SignatureMethod against the pinned RSA certificate → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(sign(partner, clock, { keyReference: "issuer-serial" }));
    dom.one(NS.ds, "SignatureMethod").setAttribute("Algorithm", DSIG_ALGORITHMS.signature.ecdsaSha256);
    resign(dom.one(NS.ds, "Signature"), attackerEc.keyPem);
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /a ec signature cannot come from the configured rsa key/);
  });

  test("no ds:KeyInfo: signed by the pinned key → admitted; by the attacker's key → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    for (const [signer, expected] of [[partner, "admitted"], [attacker, "Unable to verify signed request"]] as const) {
      const dom = tamperable(sign(signer, clock, { keyReference: "x509data" }));
      const keyInfo = dom.one(NS.ds, "KeyInfo");
      keyInfo.parentNode!.removeChild(keyInfo);
      assert.equal(outcomeOf(await decide(config, dom.xml(), { clock })), expected);
    }
  });

  test("certificate of a profile outside the policy → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    await expectRefused(sign(other, clock), clock, "Failed to authenticate WS-Security", /not the configured certificate/);
  });

  function partnerCertificate() {
    const profile = config.profiles.find((candidate) => candidate.name === "Partner certificate");
    assert.ok(profile?.kind === "x509");
    return profile.certificates[0]!;
  }

  function partnerDerBase64(): string {
    return partnerCertificate().der.toString("base64");
  }
});
