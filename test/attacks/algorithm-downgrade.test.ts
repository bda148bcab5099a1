/**
 * Algorithm downgrade: a client (or a man in the middle re-signing with a
 * stolen weak key) picks weaker algorithms than the gateway allows. Each
 * fixture is re-signed with the partner's key after the edit, so the
 * refusal proves the algorithm rule, not a broken signature.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { DSIG_ALGORITHMS, NS } from "../../src/xml/ns.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";
import { resign, tamperable, type Tamperable } from "../helpers/wss-dom.js";

describe("algorithm downgrade", () => {
  let partner: TestCertificate;
  let weak: TestCertificate;
  let config: GatewayConfig;
  let sha1Config: GatewayConfig;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-downgrade-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048" });
    weak = makeCertificate(dir, "weak", { key: "rsa1024" });
    const files = (allowSha1: boolean) => ({
      gateway: { allowSha1 },
      profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem", { runAs: "partner.soap" }), x509ProfileYaml("Weak partner", "certs/weak.pem", { order: 200 })],
      policies: [policyYaml(["Partner certificate"]), policyYaml(["Weak partner"], { name: "Weak policy" })],
    });
    const certs = { "certs/partner.pem": partner.certPem, "certs/weak.pem": weak.certPem };
    config = wssConfig(files(false), certs);
    sha1Config = wssConfig(files(true), certs);
  });

  /** Signs, lets `edit` change SignedInfo, re-signs with the partner key. */
  function signedThenEdited(clock: ManualClock, edit: (dom: Tamperable) => void): string {
    const dom = tamperable(signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock }));
    edit(dom);
    resign(dom.one(NS.ds, "Signature"), partner.keyPem);
    return dom.xml();
  }

  async function expectSignatureRefused(xml: string, clock: ManualClock, reason: RegExp): Promise<void> {
    const decision = await decide(config, xml, { clock });
    assert.equal(outcomeOf(decision), "Unable to verify signed request", JSON.stringify(decision));
    assert.match(decision.kind === "refused" ? decision.steps.join("\n") : "", reason);
  }

  function setTransforms(dom: Tamperable, algorithms: string[]): void {
    for (const transforms of dom.all(NS.ds, "Transforms")) {
      while (transforms.firstChild) transforms.removeChild(transforms.firstChild);
      for (const algorithm of algorithms) transforms.appendChild(dom.fragment(`<ds:Transform xmlns:ds="${NS.ds}" Algorithm="${algorithm}"/>`));
    }
  }

  test("rsa-sha1 signature (SHA-256 digests) without allow_sha1 → Unable to verify signed request; with it → admitted", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, signatureHash: "sha1", timestampSeconds: 300, clock });
    await expectSignatureRefused(signed, clock, /SHA-1 signature refused \(allow_sha1 is false\)/);
    assert.equal(outcomeOf(await decide(sha1Config, signed, { clock })), "admitted");
  });

  test("SHA-1 digests (rsa-sha256 signature) without allow_sha1 → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, digest: "sha1", signatureHash: "sha256", timestampSeconds: 300, clock });
    await expectSignatureRefused(signed, clock, /SHA-1 digest refused \(allow_sha1 is false\)/);
  });

  test("MD5 digest method → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = signedThenEdited(clock, (dom) => dom.all(NS.ds, "DigestMethod")[0]!.setAttribute("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#md5"));
    await expectSignatureRefused(xml, clock, /digest algorithm .*md5.* is not allowed/);
  });

  test("DSA signature method → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = signedThenEdited(clock, (dom) => dom.one(NS.ds, "SignatureMethod").setAttribute("Algorithm", "http://www.w3.org/2000/09/xmldsig#dsa-sha1"));
    await expectSignatureRefused(xml, clock, /signature algorithm .*dsa-sha1.* is not allowed/);
  });

  test("RSA-PSS (sha256-rsa-MGF1) signature method → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = signedThenEdited(clock, (dom) => dom.one(NS.ds, "SignatureMethod").setAttribute("Algorithm", "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"));
    await expectSignatureRefused(xml, clock, /signature algorithm .*MGF1.* is not allowed/);
  });

  test("1024-bit RSA certificate under min_rsa_key_bits 2048 → Failed to authenticate WS-Security", async () => {
    const clock = new ManualClock();
    const weakOnly = wssConfig(
      { profiles: [x509ProfileYaml("Weak partner", "certs/weak.pem")], policies: [policyYaml(["Weak partner"])] },
      { "certs/weak.pem": weak.certPem },
    );
    const signed = signEnvelope(SOAP11_ENVELOPE, { key: weak.keyPem, cert: weak.certPem, timestampSeconds: 300, clock });
    const decision = await decide(weakOnly, signed, { clock });
    assert.equal(outcomeOf(decision), "Failed to authenticate WS-Security");
    assert.match(decision.kind === "refused" ? decision.steps.join("\n") : "", /RSA key of 1024 bits is below min_rsa_key_bits 2048/);
  });

  for (const [name, algorithm] of [
    ["XPath", DSIG_ALGORITHMS.transform.xpath],
    ["XSLT", DSIG_ALGORITHMS.transform.xslt],
    ["Base64", "http://www.w3.org/2000/09/xmldsig#base64"],
    ["STR-Transform", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#STR-Transform"],
    ["XPath Filter 2.0", "http://www.w3.org/2002/06/xmldsig-filter2"],
  ] as const) {
    test(`${name} transform before c14n → Unable to verify signed request`, async () => {
      const clock = new ManualClock();
      const xml = signedThenEdited(clock, (dom) => setTransforms(dom, [algorithm, DSIG_ALGORITHMS.c14n.exclusive]));
      await expectSignatureRefused(xml, clock, /transform .* is not allowed/);
    });
  }

  test("two c14n transforms in a chain → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = signedThenEdited(clock, (dom) => setTransforms(dom, [DSIG_ALGORITHMS.c14n.exclusive, DSIG_ALGORITHMS.c14n.exclusive]));
    await expectSignatureRefused(xml, clock, /is not allowed after/);
  });

  for (const [name, algorithm] of [
    ["exclusive c14n #WithComments", DSIG_ALGORITHMS.c14n.exclusiveWithComments],
    ["inclusive c14n #WithComments", DSIG_ALGORITHMS.c14n.inclusiveWithComments],
  ] as const) {
    test(`${name} as CanonicalizationMethod → Unable to verify signed request`, async () => {
      const clock = new ManualClock();
      const xml = signedThenEdited(clock, (dom) => dom.one(NS.ds, "CanonicalizationMethod").setAttribute("Algorithm", algorithm));
      await expectSignatureRefused(xml, clock, /canonicalization .*WithComments.* is not allowed/);
    });
  }

  test("enveloped-signature transform then exc-c14n on an element that does not contain the signature → admitted (node-soap's default)", async () => {
    const clock = new ManualClock();
    const xml = signedThenEdited(clock, (dom) => setTransforms(dom, [DSIG_ALGORITHMS.transform.envelopedSignature, DSIG_ALGORITHMS.c14n.exclusive]));
    assert.equal(outcomeOf(await decide(config, xml, { clock })), "admitted");
  });
});
