/**
 * Real clients are admitted: envelopes signed by xmlsec1, zeep, WSS4J and
 * node-soap's WSSecurityCert (each in every key-reference style it
 * produces) pass the X.509 profile, and their UsernameTokens the username
 * profile. A signer whose tool is not installed is skipped, never faked.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import soap from "soap";
import { ManualClock } from "../../src/clock.js";
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
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, usernameProfileYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";

describe("interoperability with real signers", () => {
  let partner: TestCertificate;
  let x509Config: ReturnType<typeof wssConfig>;
  let usernameConfig: ReturnType<typeof wssConfig>;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-interop-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048", subject: "/C=DE/O=Partner GmbH/CN=partner.example", serialHex: "3A5F" });
    x509Config = wssConfig(
      { profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem", { runAs: "partner.soap" })], policies: [policyYaml(["Partner certificate"])] },
      { "certs/partner.pem": partner.certPem },
    );
    usernameConfig = wssConfig({
      profiles: [usernameProfileYaml("Partner credentials", { action: "authenticate_with_user" })],
      policies: [policyYaml(["Partner credentials"], { requireSigned: false })],
    });
  });

  for (const keyReference of XMLSEC1_KEY_REFERENCES) {
    test(`xmlsec1 signature, key by ${keyReference} → admitted`, { skip: missingToolReason("xmlsec1") }, async () => {
      const clock = new ManualClock();
      const signed = signWithXmlsec1(SOAP11_ENVELOPE, partner, { keyReference, timestampSeconds: 300, clock });
      const decision = await decide(x509Config, signed, { clock });
      assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
    });
  }

  for (const keyReference of ZEEP_KEY_REFERENCES) {
    test(`zeep signature, key by ${keyReference} → admitted`, { skip: missingToolReason("zeep") }, async () => {
      const clock = new ManualClock();
      const signed = signWithZeep(SOAP11_ENVELOPE, partner, { keyReference, timestampSeconds: 300 });
      const decision = await decide(x509Config, signed, { clock });
      assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
    });
  }

  for (const keyReference of WSS4J_KEY_REFERENCES) {
    test(`WSS4J signature, key by ${keyReference} → admitted`, { skip: missingToolReason("wss4j") }, async () => {
      const clock = new ManualClock();
      const signed = signWithWss4j(SOAP11_ENVELOPE, partner, { keyReference, timestampSeconds: 300 });
      const decision = await decide(x509Config, signed, { clock });
      assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
    });
  }

  test("node-soap WSSecurityCert (enveloped-signature + exc-c14n transforms, plain Id attributes) → admitted", async () => {
    const security = new soap.WSSecurityCert(partner.keyPem, partner.certPem, "");
    // WSSecurityCert inserts its header before a literal "</soapenv:Header>".
    const signed = security.postProcess(SOAP11_ENVELOPE.replace("<soapenv:Header/>", "<soapenv:Header></soapenv:Header>"), "soapenv");
    const decision = await decide(x509Config, signed);
    assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
  });

  for (const passwordType of ["text", "digest"] as const) {
    test(`zeep UsernameToken Password${passwordType === "text" ? "Text" : "Digest"} → admitted as the user`, { skip: missingToolReason("zeep") }, async () => {
      const signed = signWithZeep(SOAP11_ENVELOPE, undefined, { username: "alice", password: "alice-password", passwordType });
      const decision = await decide(usernameConfig, signed);
      assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
      assert.equal(decision.kind === "admitted" && decision.sessionUser, "alice");
    });
    test(`WSS4J UsernameToken Password${passwordType === "text" ? "Text" : "Digest"} → admitted as the user`, { skip: missingToolReason("wss4j") }, async () => {
      const signed = signWithWss4j(SOAP11_ENVELOPE, undefined, { username: "alice", password: "alice-password", passwordType });
      const decision = await decide(usernameConfig, signed);
      assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
    });
  }
});
