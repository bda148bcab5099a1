/**
 * Key reference rule support: X509IssuerName text from the message is
 * compared with the configured certificate's issuer as a set of RDNs,
 * however the DN is written (order, aliases, spacing, case, escapes).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { parseCertificatePem } from "../../src/certs/certificate.js";
import type { ConfiguredCertificate } from "../../src/config/types.js";
import { issuerNameMatches, parseDistinguishedName } from "../../src/wss/rules/issuer-name.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";

describe("X509IssuerName matching", () => {
  let certificate: ConfiguredCertificate;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-dn-"));
    const made = makeCertificate(dir, "dn", { key: "ec-p256", subject: "/C=NL/O=Partner, Inc./CN=partner.example" });
    certificate = parseCertificatePem(made.certPem, made.certPath);
  });

  for (const written of [
    "CN=partner.example,O=Partner\\, Inc.,C=NL",
    "CN=partner.example, O=Partner\\, Inc., C=NL",
    "C=NL,O=Partner\\, Inc.,CN=partner.example",
    'cn=PARTNER.EXAMPLE;o="Partner, Inc.";c=nl',
    "2.5.4.3=partner.example,OID.2.5.4.10=Partner\\2C Inc.,countryName=NL",
  ]) {
    test(`"${written}" names the issuer`, () => {
      assert.equal(issuerNameMatches(written, certificate), true);
    });
  }

  for (const written of ["CN=partner.example,O=Partner Inc.,C=NL", "CN=partner.example,C=NL", "CN=partner.example,O=Partner\\, Inc.,C=NL,OU=extra", "CN=other,O=Partner\\, Inc.,C=NL", "not a dn", 'CN="unterminated']) {
    test(`"${written}" does not name the issuer`, () => {
      assert.equal(issuerNameMatches(written, certificate), false);
    });
  }

  test("multi-valued RDNs are one RDN, in any order of their parts", () => {
    assert.deepEqual(parseDistinguishedName("CN=a+OU=b,O=c"), parseDistinguishedName("O=c,OU=b+CN=a")?.reverse());
    assert.equal(parseDistinguishedName("CN=a+OU=b,O=c")?.length, 2);
  });

  test("E and emailAddress are the same attribute", () => {
    assert.deepEqual(parseDistinguishedName("E=a@example.test"), parseDistinguishedName("emailAddress=A@example.test"));
  });
});
