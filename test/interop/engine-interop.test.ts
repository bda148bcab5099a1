/**
 * Interop: envelopes signed by independent WS-Security implementations —
 * xmlsec1, Python zeep (+ python-xmlsec) and Apache WSS4J — and by our own
 * signer are admitted by decideWsSecurity, for every key-reference style
 * each can produce; a copy with one Body value changed is refused with
 * "Unable to verify signed request". UsernameTokens from zeep and WSS4J
 * (PasswordText and PasswordDigest) are admitted by a username profile.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { KEY_REFERENCE_STYLES, signEnvelope } from "../../src/wss/sign/index.js";
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
import { replaceBodyContent } from "../helpers/tamper.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, SOAP12_ENVELOPE, usernameProfileYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";

/** The Body value every tampered copy changes. */
const BODY_VALUE = "printer on fire";

let dir: string;
let rsa: TestCertificate;
let ec: TestCertificate;
/** Pins both partner certificates (one x509 profile each, at_least_one). */
let x509Config: GatewayConfig;
/** The RSA partner certificate and a username profile (authenticate_with_user), both required. */
let x509AndUsernameConfig: GatewayConfig;
/** A username profile only, signing not required. */
let usernameConfig: GatewayConfig;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "engine-interop-"));
  rsa = makeCertificate(dir, "partner-rsa", { key: "rsa2048", subject: "/C=US/O=Partner Inc/CN=partner.rsa" });
  ec = makeCertificate(dir, "partner-ec", { key: "ec-p256", subject: "/C=US/O=Partner Inc/CN=partner.ec" });
  const certificates = { "certs/partner-rsa.pem": rsa.certPem, "certs/partner-ec.pem": ec.certPem };
  x509Config = wssConfig(
    {
      profiles: [
        x509ProfileYaml("Partner RSA", "certs/partner-rsa.pem", { order: 100, runAs: "partner.soap" }),
        x509ProfileYaml("Partner EC", "certs/partner-ec.pem", { order: 110, runAs: "partner.soap" }),
      ],
      policies: [policyYaml(["Partner RSA", "Partner EC"], { authenticate: "at_least_one" })],
    },
    certificates,
  );
  x509AndUsernameConfig = wssConfig(
    {
      profiles: [
        x509ProfileYaml("Partner RSA", "certs/partner-rsa.pem", { order: 100, runAs: "alice" }),
        usernameProfileYaml("Partner credentials", { action: "authenticate_with_user", order: 200 }),
      ],
      policies: [policyYaml(["Partner RSA", "Partner credentials"])],
    },
    certificates,
  );
  usernameConfig = wssConfig({
    profiles: [usernameProfileYaml("Partner credentials", { action: "authenticate_with_user" })],
    policies: [policyYaml(["Partner credentials"], { requireSigned: false })],
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function assertAdmittedAndTamperRefused(config: GatewayConfig, signed: string, sessionUser: string): Promise<void> {
  const clock = new ManualClock();
  const decision = await decide(config, signed, { clock });
  assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
  assert.equal(decision.kind === "admitted" ? decision.sessionUser : undefined, sessionUser);
  const tampered = replaceBodyContent(signed, BODY_VALUE, "printer is fine");
  assert.equal(outcomeOf(await decide(config, tampered, { clock })), "Unable to verify signed request");
}

describe("our signer → decideWsSecurity", () => {
  for (const keyReference of KEY_REFERENCE_STYLES) {
    for (const [name, identity] of [["RSA", () => rsa], ["ECDSA", () => ec]] as const) {
      test(`signEnvelope ${keyReference} (${name}) with Timestamp → admitted; altered Body → Unable to verify signed request`, async () => {
        const signed = signEnvelope(SOAP11_ENVELOPE, { key: identity().keyPem, cert: identity().certPem, keyReference, timestampSeconds: 300 });
        await assertAdmittedAndTamperRefused(x509Config, signed, "partner.soap");
      });
    }
  }
  test("signEnvelope SOAP 1.2, inclusive c14n, sha512 → admitted", async () => {
    const signed = signEnvelope(SOAP12_ENVELOPE, { key: rsa.keyPem, cert: rsa.certPem, canonicalization: "inclusive", digest: "sha512", timestampSeconds: 300 });
    await assertAdmittedAndTamperRefused(x509Config, signed, "partner.soap");
  });
});

describe("xmlsec1 → decideWsSecurity", { skip: missingToolReason("xmlsec1") }, () => {
  for (const keyReference of XMLSEC1_KEY_REFERENCES) {
    test(`xmlsec1 ${keyReference} (RSA) with Timestamp → admitted; altered Body → Unable to verify signed request`, async () => {
      await assertAdmittedAndTamperRefused(x509Config, signWithXmlsec1(SOAP11_ENVELOPE, rsa, { keyReference, timestampSeconds: 300 }), "partner.soap");
    });
  }
  test("xmlsec1 x509-certificate (ECDSA, sha384) → admitted", async () => {
    await assertAdmittedAndTamperRefused(x509Config, signWithXmlsec1(SOAP11_ENVELOPE, ec, { keyReference: "x509-certificate", digest: "sha384", timestampSeconds: 300 }), "partner.soap");
  });
  test("xmlsec1 bst on SOAP 1.2 → admitted", async () => {
    await assertAdmittedAndTamperRefused(x509Config, signWithXmlsec1(SOAP12_ENVELOPE, rsa, { keyReference: "bst", timestampSeconds: 300 }), "partner.soap");
  });
});

describe("zeep → decideWsSecurity", { skip: missingToolReason("zeep") }, () => {
  for (const keyReference of ZEEP_KEY_REFERENCES) {
    for (const [name, identity] of [["RSA", () => rsa], ["ECDSA", () => ec]] as const) {
      test(`zeep ${keyReference} (${name}) with Timestamp → admitted; altered Body → Unable to verify signed request`, async () => {
        await assertAdmittedAndTamperRefused(x509Config, signWithZeep(SOAP11_ENVELOPE, identity(), { keyReference, timestampSeconds: 300 }), "partner.soap");
      });
    }
  }
  test("zeep bst + PasswordDigest UsernameToken → both profiles pass, session user from the last (the username's)", async () => {
    const signed = signWithZeep(SOAP11_ENVELOPE, rsa, {
      keyReference: "bst",
      timestampSeconds: 300,
      username: "partner.soap",
      password: "partner-password",
      passwordType: "digest",
    });
    await assertAdmittedAndTamperRefused(x509AndUsernameConfig, signed, "partner.soap");
  });
  for (const passwordType of ["text", "digest"] as const) {
    test(`zeep UsernameToken (${passwordType}) alone → admitted by the username profile; wrong password → Failed to authenticate WS-Security`, async () => {
      const clock = new ManualClock();
      const good = signWithZeep(SOAP11_ENVELOPE, undefined, { username: "partner.soap", password: "partner-password", passwordType });
      assert.equal(outcomeOf(await decide(usernameConfig, good, { clock })), "admitted");
      const bad = signWithZeep(SOAP11_ENVELOPE, undefined, { username: "partner.soap", password: "wrong-password", passwordType });
      assert.equal(outcomeOf(await decide(usernameConfig, bad, { clock })), "Failed to authenticate WS-Security");
    });
  }
});

describe("WSS4J → decideWsSecurity", { skip: missingToolReason("wss4j") }, () => {
  for (const keyReference of WSS4J_KEY_REFERENCES) {
    test(`WSS4J ${keyReference} (RSA) with Timestamp → admitted; altered Body → Unable to verify signed request`, async () => {
      await assertAdmittedAndTamperRefused(x509Config, signWithWss4j(SOAP11_ENVELOPE, rsa, { keyReference, timestampSeconds: 300 }), "partner.soap");
    });
  }
  test("WSS4J issuer-serial + PasswordDigest UsernameToken → both profiles pass", async () => {
    const signed = signWithWss4j(SOAP11_ENVELOPE, rsa, {
      keyReference: "issuer-serial",
      timestampSeconds: 300,
      username: "partner.soap",
      password: "partner-password",
      passwordType: "digest",
    });
    await assertAdmittedAndTamperRefused(x509AndUsernameConfig, signed, "partner.soap");
  });
  for (const passwordType of ["text", "digest"] as const) {
    test(`WSS4J UsernameToken (${passwordType}) alone → admitted by the username profile; wrong password → Failed to authenticate WS-Security`, async () => {
      const clock = new ManualClock();
      const good = signWithWss4j(SOAP11_ENVELOPE, undefined, { username: "partner.soap", password: "partner-password", passwordType });
      assert.equal(outcomeOf(await decide(usernameConfig, good, { clock })), "admitted");
      const bad = signWithWss4j(SOAP11_ENVELOPE, undefined, { username: "partner.soap", password: "wrong-password", passwordType });
      assert.equal(outcomeOf(await decide(usernameConfig, bad, { clock })), "Failed to authenticate WS-Security");
    });
  }
});
