/**
 * Signature cost (issue 9 item 6, SPEC §5 Cost): one request with thousands
 * of References and a junk SignatureValue stalled the gateway. References
 * per SignedInfo are capped (limits.max_signature_references, 30); no
 * Reference is digested before the SignatureValue verified with a configured
 * certificate; each element is canonicalized and digested once, however
 * many References name it. Digests are counted through the engine's
 * `onDigest` hook, never timed.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { makeAttackPki, type AttackPki } from "../helpers/attack-gateway.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";
import { resign, tamperable } from "../helpers/wss-dom.js";

describe("signature cost", () => {
  let pki: AttackPki;
  let config: GatewayConfig;

  before(() => {
    pki = makeAttackPki();
    config = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, { "certs/partner.pem": pki.rsa.certPem });
  });

  /** A signed envelope whose SignedInfo names the Body `references` times in all (plus the Timestamp), re-signed unless `junk`. */
  function withBodyReferences(clock: ManualClock, references: number, options: { junk?: boolean } = {}): string {
    const dom = tamperable(signEnvelope(SOAP11_ENVELOPE, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, timestampSeconds: 300, clock }));
    const bodyId = dom.one(NS.soap11, "Body").getAttributeNS(NS.wsu, "Id");
    const bodyReference = dom.all(NS.ds, "Reference").find((reference) => reference.getAttribute("URI") === `#${bodyId}`)!;
    for (let i = 1; i < references; i++) bodyReference.parentNode!.insertBefore(bodyReference.cloneNode(true), bodyReference);
    const signature = dom.one(NS.ds, "Signature");
    if (options.junk) {
      const value = dom.one(NS.ds, "SignatureValue");
      value.textContent = Buffer.alloc(256, 7).toString("base64");
    } else {
      resign(signature, pki.rsa.keyPem);
    }
    return dom.xml();
  }

  test("31 References in one SignedInfo (max_signature_references 30), validly signed → Unable to verify signed request, nothing digested", async () => {
    const clock = new ManualClock();
    const digested: string[] = [];
    const decision = await decide(config, withBodyReferences(clock, 30), { clock, onDigest: (id) => digested.push(id) });
    assert.equal(outcomeOf(decision), "Unable to verify signed request");
    assert.equal(decision.kind === "refused" && decision.fault, "signatureInvalid");
    assert.deepEqual(digested, []);
  });

  test("30 References (29 to the Body, 1 to the Timestamp) → admitted, and the Body is digested once", async () => {
    const clock = new ManualClock();
    const digested: string[] = [];
    const decision = await decide(config, withBodyReferences(clock, 29), { clock, onDigest: (id) => digested.push(id) });
    assert.equal(outcomeOf(decision), "admitted", JSON.stringify(decision));
    assert.equal(digested.length, 2, `one digest per signed element: ${digested.join(", ")}`);
  });

  test("junk SignatureValue with 29 References over the Body → Unable to verify signed request without digesting any Reference", async () => {
    const clock = new ManualClock();
    const digested: string[] = [];
    const decision = await decide(config, withBodyReferences(clock, 29, { junk: true }), { clock, onDigest: (id) => digested.push(id) });
    assert.equal(outcomeOf(decision), "Unable to verify signed request");
    assert.deepEqual(digested, [], "a junk signature costs one public-key operation, no digest");
  });

  test("a valid SignatureValue over a wrong DigestValue → Unable to verify signed request (digests are still checked, after the SignatureValue)", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signEnvelope(SOAP11_ENVELOPE, { key: pki.rsa.keyPem, cert: pki.rsa.certPem, timestampSeconds: 300, clock }));
    dom.all(NS.ds, "DigestValue")[0]!.textContent = Buffer.alloc(32, 1).toString("base64");
    resign(dom.one(NS.ds, "Signature"), pki.rsa.keyPem);
    const digested: string[] = [];
    const decision = await decide(config, dom.xml(), { clock, onDigest: (id) => digested.push(id) });
    assert.equal(outcomeOf(decision), "Unable to verify signed request");
    assert.ok(digested.length >= 1);
  });
});
