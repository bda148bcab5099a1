/**
 * The reported attack (issue 9, item 1): with inclusive c14n, xml-crypto's
 * canonicalizer rendered a processing instruction's data as if it were
 * character data, while the operation reader skips PIs. Wrapping the part
 * of a signed value that narrows a deleteMultiple in a PI kept every digest
 * and turned a signed one-record delete into "delete every active record".
 *
 * Refused at two layers, each proven here:
 *  - the canonicalizer: our inclusive c14n (and exclusive) refuses a PI
 *    inside the element, so the engine, given a tree that still holds the
 *    PI, answers "Unable to verify signed request";
 *  - the parse: SOAP forbids PIs, so over HTTP the request is a 400
 *    `Malformed SOAP request` — and nothing is deleted.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DOMParser } from "@xmldom/xmldom";
import { C14nCanonicalization } from "xml-crypto";
import { ManualClock } from "../../src/clock.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import { reservingReplayGuard } from "../../src/replay/guard.js";
import { readEnvelope } from "../../src/soap/envelope.js";
import { C14N_ALGORITHMS, canonicalize } from "../../src/wss/c14n.js";
import { decideWsSecurity } from "../../src/wss/engine.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { outcomeOf, policyYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";

const ONE_RECORD = "<__encoded_query>active=true^number=INC0000001</__encoded_query>";
/** The narrowing condition wrapped in a PI: xml-crypto's c14n rendered "^number=INC0000001" as text; the reader sees "active=true". */
const EVERY_ACTIVE_RECORD = "<__encoded_query>active=true<?x ^number=INC0000001?></__encoded_query>";

let partner: TestCertificate;

before(() => {
  partner = makeCertificate(mkdtempSync(join(tmpdir(), "wss-c14n-pi-")), "partner", { key: "rsa2048" });
});

function signedDeleteOfOneRecord(clock: ManualClock): string {
  return signEnvelope(soapEnvelope("incident", "deleteMultiple", ONE_RECORD), {
    key: partner.keyPem,
    cert: partner.certPem,
    timestampSeconds: 300,
    canonicalization: "inclusive",
    clock,
  });
}

function withValueWrappedInPi(signed: string): string {
  const tampered = signed.replace(ONE_RECORD, EVERY_ACTIVE_RECORD);
  assert.notEqual(tampered, signed);
  return tampered;
}

/** The Body of `xml` in an @xmldom tree, which keeps processing instructions (the gateway's parser refuses them). */
function bodyOf(xml: string) {
  const document = new DOMParser().parseFromString(xml, "text/xml");
  return { document, body: document.getElementsByTagNameNS(NS.soap11, "Body")[0]! };
}

describe("inclusive c14n: part of a signed value wrapped in a processing instruction", () => {
  test("the attack is real: xml-crypto's inclusive c14n of the tampered Body equals the signed Body's; ours refuses it", () => {
    const clock = new ManualClock();
    const signed = signedDeleteOfOneRecord(clock);
    const original = bodyOf(signed).body;
    const tampered = bodyOf(withValueWrappedInPi(signed)).body;
    const xmlCrypto = (element: typeof original) => new C14nCanonicalization().process(element as never, { ancestorNamespaces: [] });
    assert.equal(xmlCrypto(tampered), xmlCrypto(original));

    const ours = canonicalize(original, C14N_ALGORITHMS.inclusive10);
    assert.equal(ours.kind, "canonical");
    for (const algorithm of [C14N_ALGORITHMS.inclusive10, C14N_ALGORITHMS.inclusive11, C14N_ALGORITHMS.exclusive]) {
      assert.deepEqual(canonicalize(tampered, algorithm), { kind: "unsupported", reason: "a processing instruction inside the canonicalized element" });
    }
  });

  test("engine, given the tree with the PI: signed one-record deleteMultiple with its filter wrapped in a PI → Unable to verify signed request", async () => {
    const config = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, {
      "certs/partner.pem": partner.certPem,
    });
    const decideOn = async (xml: string): Promise<{ outcome: string; steps: string }> => {
      const clock = new ManualClock();
      const envelope = readEnvelope(bodyOf(xml).document as never);
      if (envelope.kind !== "envelope") throw new Error(envelope.reason);
      const decision = await decideWsSecurity({ config, envelope: envelope.envelope, basicUser: undefined, clock, replay: reservingReplayGuard(new MemoryReplayCache(clock)) });
      return { outcome: outcomeOf(decision), steps: decision.kind === "refused" ? decision.steps.join("\n") : "" };
    };
    const signed = signedDeleteOfOneRecord(new ManualClock());
    assert.equal((await decideOn(signed)).outcome, "admitted");
    const refused = await decideOn(withValueWrappedInPi(signed));
    assert.equal(refused.outcome, "Unable to verify signed request");
    assert.match(refused.steps, /a processing instruction inside the canonicalized element/);
  });

  describe("over HTTP", () => {
    let gateway: TestGateway;
    const caller = basicAuth("partner.soap", "partner-password");

    before(async () => {
      gateway = await startTestGateway({
        files: {
          gateway: `basic_auth:\n  required: true\n  realm: wss-gateway\nws_security:\n  required: true\n  default_policy: Default Security Policy\n`,
          profiles: `profiles:\n${x509ProfileYaml("Partner certificate", "certs/partner.pem", { runAs: "partner.soap" })}`,
          policies: `policies:\n${policyYaml(["Partner certificate"])}`,
          users: `users:\n  - user_name: partner.soap\n    password: partner-password\n    roles: [soap]\n`,
        },
        extra: { "certs/partner.pem": partner.certPem },
      });
      for (const number of ["INC0000001", "INC0000002", "INC0000003"]) {
        const insert = signEnvelope(soapEnvelope("incident", "insert", `<number>${number}</number><active>true</active>`), {
          key: partner.keyPem,
          cert: partner.certPem,
          timestampSeconds: 300,
        });
        assert.equal((await postSoap(gateway, "incident", insert, { authorization: caller })).status, 200);
      }
    });
    after(() => gateway.close());

    test("signed one-record deleteMultiple with its filter wrapped in a PI → 400 Malformed SOAP request, nothing deleted; untampered it deletes one record", async () => {
      const numbers = () => gateway.rows("incident").map((row) => String(row.number)).sort();
      assert.deepEqual(numbers(), ["INC0000001", "INC0000002", "INC0000003"]);
      const signed = signedDeleteOfOneRecord(new ManualClock());

      const attack = await postSoap(gateway, "incident", withValueWrappedInPi(signed), { authorization: caller });
      assert.equal(attack.status, 400);
      assert.match(attack.body, /<faultstring>Malformed SOAP request<\/faultstring>/);
      assert.deepEqual(numbers(), ["INC0000001", "INC0000002", "INC0000003"]);

      const control = await postSoap(gateway, "incident", signed, { authorization: caller });
      assert.equal(control.status, 200, control.body);
      assert.deepEqual(numbers(), ["INC0000002", "INC0000003"]);
    });
  });
});
