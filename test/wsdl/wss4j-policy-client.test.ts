/**
 * What a WS-SecurityPolicy-driven client (Apache CXF on WSS4J) does with the
 * policy our WSDL publishes, through a live gateway (SPEC §5; docs/wsdl.md
 * "Policy-driven clients"). The AsymmetricBinding names `sp:Basic256Sha256`:
 * SHA-256 digests, but — as in every WS-SecurityPolicy algorithm suite — an
 * RSA-SHA1 asymmetric signature, which the gateway refuses unless allow_sha1.
 * CXF's `ws-security.asymmetric.signature.algorithm` overrides exactly that
 * algorithm on WSS4J's signer; Test/helpers/interop/Wss4jSign.java stands
 * for the CXF client here (WSS4J 1.6, `WSSecSignature.setSignatureAlgorithm`,
 * which is what that property sets). Real signatures, real HTTP, SQLite.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DOMParser } from "@xmldom/xmldom";
import { NS } from "../../src/xml/ns.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { missingToolReason, signWithWss4j } from "../helpers/signers.js";

const CALLER = basicAuth("caller", "caller-password");
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

function gatewayYaml(allowSha1: boolean): string {
  return `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: true
  default_policy: Default Security Policy
  allow_sha1: ${allowSha1}
strict_security: false
`;
}

const FILES = {
  users: `users:
  - user_name: caller
    password: caller-password
    roles: [soap]
  - user_name: partner.soap
    password: partner-password
    roles: [soap]
`,
  profiles: `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    bind_session: true
    run_as_user: partner.soap
    certificate: certs/partner.pem
`,
  policies: `policies:
  - name: Default Security Policy
    type: inbound
    require_signed: true
    authenticate: all
    profiles: [Partner certificate]
`,
};

let pkiDir: string;
let partner: TestCertificate;
let strict: TestGateway;
let sha1Allowed: TestGateway;

before(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), "wss4j-policy-"));
  partner = makeCertificate(pkiDir, "partner", { key: "rsa2048" });
  const extra = { "certs/partner.pem": partner.certPem };
  strict = await startTestGateway({ files: { ...FILES, gateway: gatewayYaml(false) }, extra });
  sha1Allowed = await startTestGateway({ files: { ...FILES, gateway: gatewayYaml(true) }, extra });
});
after(async () => {
  await Promise.all([strict?.close(), sha1Allowed?.close()]);
  rmSync(pkiDir, { recursive: true, force: true });
});

let sequence = 0;
function insert(): { xml: string; number: string } {
  sequence += 1;
  const number = `CXF-${sequence}`;
  return { xml: soapEnvelope("incident", "insert", `<number>${number}</number>`), number };
}

/** The algorithm suite the live WSDL's AsymmetricBinding names. */
async function publishedAlgorithmSuite(gateway: TestGateway): Promise<string[]> {
  const response = await fetch(`${gateway.url}/incident.do?WSDL`, { headers: { Authorization: CALLER } });
  assert.equal(response.status, 200);
  const document = new DOMParser().parseFromString(await response.text(), "text/xml");
  const suite = document.getElementsByTagNameNS(NS.sp, "AlgorithmSuite")[0];
  assert.ok(suite, "the WSDL has an sp:AlgorithmSuite");
  const names: string[] = [];
  const nested = suite.getElementsByTagNameNS(NS.wsp, "Policy")[0]!;
  for (let child = nested.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 1) names.push((child as unknown as { localName: string }).localName);
  }
  return names;
}

describe("a WSS4J/CXF client configured from the published policy", { skip: missingToolReason("wss4j") }, () => {
  test("the WSDL publishes sp:Basic256Sha256 (SHA-256 digests; the asymmetric signature is the client setting below)", async () => {
    assert.deepEqual(await publishedAlgorithmSuite(strict), ["Basic256Sha256"]);
  });

  test("WSS4J signing as Basic256Sha256 alone dictates (RSA-SHA1 signature, SHA-256 digests) → Unable to verify signed request, nothing written", async () => {
    const { xml } = insert();
    const signed = signWithWss4j(xml, partner, { keyReference: "bst", timestampSeconds: 300, digest: "sha256", signatureAlgorithm: "wss4j-default" });
    assert.match(signed, /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#rsa-sha1"/);
    const before = strict.rows("incident");
    const response = await postSoap(strict, "incident", signed, { authorization: CALLER });
    assert.equal(response.status, 500, response.body);
    assert.equal(textOf(response.body, "faultcode"), "wsse:FailedCheck");
    assert.equal(textOf(response.body, "faultstring"), "Unable to verify signed request");
    assert.deepEqual(strict.rows("incident"), before);
  });

  test("the same WSS4J client with ws-security.asymmetric.signature.algorithm = rsa-sha256 → admitted", async () => {
    const { xml, number } = insert();
    const signed = signWithWss4j(xml, partner, { keyReference: "bst", timestampSeconds: 300, digest: "sha256", signatureAlgorithm: RSA_SHA256 });
    assert.match(signed, /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/);
    const response = await postSoap(strict, "incident", signed, { authorization: CALLER });
    assert.equal(response.status, 200, response.body);
    assert.equal(strict.rows("incident").find((row) => row.number === number)?.sys_created_by, "partner.soap");
  });

  test("with allow_sha1: true, Basic256Sha256 as WSS4J signs it by default is admitted", async () => {
    const { xml, number } = insert();
    const signed = signWithWss4j(xml, partner, { keyReference: "bst", timestampSeconds: 300, digest: "sha256", signatureAlgorithm: "wss4j-default" });
    const response = await postSoap(sha1Allowed, "incident", signed, { authorization: CALLER });
    assert.equal(response.status, 200, response.body);
    assert.ok(sha1Allowed.rows("incident").some((row) => row.number === number));
  });
});
