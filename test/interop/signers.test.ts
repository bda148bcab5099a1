/**
 * The interop harness checks itself: every independent signer (xmlsec1,
 * zeep, WSS4J), for every key reference it can produce, yields an envelope
 * that `xmlsec1 --verify` accepts with the signer's certificate, and a copy
 * with an altered Body is refused — so a later "admitted" from the gateway
 * means something.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import {
  missingToolReason,
  signWithWss4j,
  signWithXmlsec1,
  signWithZeep,
  verifyWithXmlsec1,
  WSS4J_KEY_REFERENCES,
  XMLSEC1_KEY_REFERENCES,
  ZEEP_KEY_REFERENCES,
} from "../helpers/signers.js";

const ENVELOPE = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident">
  <soapenv:Body>
    <inc:insert>
      <short_description>Printer &amp; scanner down</short_description>
      <priority>2</priority>
    </inc:insert>
  </soapenv:Body>
</soapenv:Envelope>`;

let dir: string;
let rsa: TestCertificate;
let ec: TestCertificate;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "interop-signers-"));
  rsa = makeCertificate(dir, "partner-rsa", { key: "rsa2048", subject: "/C=US/O=Partner Inc/CN=partner.rsa" });
  ec = makeCertificate(dir, "partner-ec", { key: "ec-p256", subject: "/C=US/O=Partner Inc/CN=partner.ec" });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertVerifiesAndDetectsTampering(signed: string, identity: TestCertificate): void {
  const verdict = verifyWithXmlsec1(signed, identity.certPem);
  assert.deepEqual(verdict, { kind: "verified" });
  const tampered = signed.replace("Printer &amp; scanner down", "Printer &amp; scanner fixed");
  assert.notEqual(tampered, signed);
  assert.equal(verifyWithXmlsec1(tampered, identity.certPem).kind, "failed");
}

function assertSignsTimestampAndBody(signed: string): void {
  const references = [...signed.matchAll(/<(?:ds:)?Reference URI="#([^"]+)"/g)].map((match) => match[1]);
  assert.equal(references.length, 2, "one Reference to the Timestamp, one to the Body");
  assert.match(signed, /<wsu:Timestamp[^>]*Id="[^"]+"/);
}

describe("xmlsec1 signer", { skip: missingToolReason("xmlsec1") }, () => {
  for (const keyReference of XMLSEC1_KEY_REFERENCES) {
    test(`xmlsec1 ${keyReference} (RSA, sha256) verifies with xmlsec1 and a changed Body does not`, () => {
      const signed = signWithXmlsec1(ENVELOPE, rsa, { keyReference, timestampSeconds: 300 });
      assertSignsTimestampAndBody(signed);
      assertVerifiesAndDetectsTampering(signed, rsa);
    });
  }
  test("xmlsec1 x509-certificate (ECDSA P-256, sha384) verifies with xmlsec1", () => {
    const signed = signWithXmlsec1(ENVELOPE, ec, { keyReference: "x509-certificate", digest: "sha384" });
    assert.match(signed, /Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#ecdsa-sha384"/);
    assertVerifiesAndDetectsTampering(signed, ec);
  });
  test("xmlsec1 fills ds:X509SKI with the certificate's SubjectKeyIdentifier", () => {
    const signed = signWithXmlsec1(ENVELOPE, rsa, { keyReference: "x509-ski" });
    assert.match(signed, /<ds:X509SKI>[A-Za-z0-9+/=\s]{20,}<\/ds:X509SKI>/);
  });
});

describe("zeep signer", { skip: missingToolReason("zeep") }, () => {
  for (const keyReference of ZEEP_KEY_REFERENCES) {
    for (const [name, identity] of [["RSA", () => rsa], ["ECDSA", () => ec]] as const) {
      test(`zeep ${keyReference} (${name}, sha256) with Timestamp and UsernameToken verifies with xmlsec1`, () => {
        const signed = signWithZeep(ENVELOPE, identity(), {
          keyReference,
          timestampSeconds: 300,
          username: "partner.soap",
          password: "secret",
          passwordType: "digest",
        });
        assertSignsTimestampAndBody(signed);
        assert.match(signed, /#PasswordDigest">[A-Za-z0-9+/=]{28}</);
        assertVerifiesAndDetectsTampering(signed, identity());
      });
    }
  }
  test("zeep adds a UsernameToken without signing when no key is given", () => {
    const withToken = signWithZeep(ENVELOPE, undefined, { username: "partner.soap", password: "secret" });
    assert.match(withToken, /#PasswordText">secret<\/wsse:Password>/);
    assert.doesNotMatch(withToken, /Signature/);
  });
});

describe("WSS4J signer", { skip: missingToolReason("wss4j") }, () => {
  for (const keyReference of WSS4J_KEY_REFERENCES) {
    test(`WSS4J ${keyReference} (RSA, sha256) verifies with xmlsec1 and a changed Body does not`, () => {
      const signed = signWithWss4j(ENVELOPE, rsa, { keyReference, timestampSeconds: 300 });
      assertSignsTimestampAndBody(signed);
      assertVerifiesAndDetectsTampering(signed, rsa);
    });
  }
  test("WSS4J adds a PasswordDigest UsernameToken with Nonce and Created", () => {
    const withToken = signWithWss4j(ENVELOPE, undefined, { username: "partner.soap", password: "secret", passwordType: "digest" });
    assert.match(withToken, /#PasswordDigest">[A-Za-z0-9+/=]{28}<\/wsse:Password><wsse:Nonce [^>]*>[A-Za-z0-9+/=]+<\/wsse:Nonce><wsu:Created>/);
  });
});
