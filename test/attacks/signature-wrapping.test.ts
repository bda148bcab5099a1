/**
 * XML signature wrapping: the signed Body is kept (so every digest still
 * matches) but moved elsewhere, and an unsigned Body is put where the
 * gateway dispatches from. The gateway must check that the Body it
 * dispatches — found by position — is the element that was signed.
 * Also: ids that name two elements, partial signatures, edits after
 * signing, tricks in the Signature's own structure.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import type { GatewayConfig } from "../../src/config/types.js";
import { signEnvelope, type SignOptions } from "../../src/wss/sign/index.js";
import { NS } from "../../src/xml/ns.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { decide, outcomeOf, policyYaml, SOAP11_ENVELOPE, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";
import { tamperable, type Tamperable } from "../helpers/wss-dom.js";

const EVIL_BODY = `<soapenv:Body xmlns:soapenv="${NS.soap11}"><inc:deleteMultiple xmlns:inc="http://www.service-now.com/incident"><__encoded_query>active=true</__encoded_query></inc:deleteMultiple></soapenv:Body>`;
const UNUSED_ID = "Id-unused";

describe("signature wrapping", () => {
  let partner: TestCertificate;
  let config: GatewayConfig;

  before(() => {
    const dir = mkdtempSync(join(tmpdir(), "wss-wrapping-"));
    partner = makeCertificate(dir, "partner", { key: "rsa2048" });
    config = wssConfig(
      { profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem", { runAs: "partner.soap" })], policies: [policyYaml(["Partner certificate"])] },
      { "certs/partner.pem": partner.certPem },
    );
  });

  function signed(clock: ManualClock, options: Partial<SignOptions> = {}): string {
    return signEnvelope(SOAP11_ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock, ...options });
  }

  async function expectRefused(xml: string, clock: ManualClock, faultString: string, reason?: RegExp): Promise<void> {
    const decision = await decide(config, xml, { clock });
    assert.equal(outcomeOf(decision), faultString, JSON.stringify(decision));
    if (reason) assert.match(decision.kind === "refused" ? decision.steps.join("\n") : "", reason);
  }

  /** Replaces the Body by an unsigned one and hands the signed Body (detached) to `place`. */
  function wrap(xml: string, place: (dom: Tamperable, signedBody: Element) => void): string {
    const dom = tamperable(xml);
    const signedBody = dom.one(NS.soap11, "Body");
    const envelope = signedBody.parentNode!;
    envelope.replaceChild(dom.fragment(EVIL_BODY), signedBody);
    place(dom, signedBody as unknown as Element);
    return dom.xml();
  }

  test("control: the untouched signed envelope is admitted", async () => {
    const clock = new ManualClock();
    assert.equal(outcomeOf(await decide(config, signed(clock), { clock })), "admitted");
  });

  test("signed Body moved into the Header keeping its wsu:Id, new unsigned Body → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = wrap(signed(clock), (dom, body) => dom.one(NS.soap11, "Header").appendChild(body as never));
    await expectRefused(xml, clock, "Unable to verify signed request", /the SOAP Body that is dispatched is not signed/);
  });

  test("signed Body moved into wsse:Security, new unsigned Body → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = wrap(signed(clock), (dom, body) => dom.one(NS.wsse, "Security").appendChild(body as never));
    await expectRefused(xml, clock, "Unable to verify signed request", /the SOAP Body that is dispatched is not signed/);
  });

  test("signed Body moved into a ds:Object of the Signature, new unsigned Body → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = wrap(signed(clock), (dom, body) => {
      const object = dom.fragment(`<ds:Object xmlns:ds="${NS.ds}"/>`);
      object.appendChild(body as never);
      dom.one(NS.ds, "Signature").appendChild(object);
    });
    await expectRefused(xml, clock, "Unable to verify signed request");
  });

  test("signed Body moved into a wrapper element of a Security header for another actor → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = wrap(signed(clock), (dom, body) => {
      const other = dom.fragment(`<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:soapenv="${NS.soap11}" soapenv:actor="urn:other-node"><Wrapper/></wsse:Security>`);
      other.firstChild!.appendChild(body as never);
      dom.one(NS.soap11, "Header").appendChild(other);
    });
    await expectRefused(xml, clock, "Unable to verify signed request", /the SOAP Body that is dispatched is not signed/);
  });

  test("new Body carries the signed Body's wsu:Id, original moved after it into the Header → Unable to verify signed request (duplicate id)", async () => {
    const clock = new ManualClock();
    const xml = wrap(signed(clock), (dom, body) => {
      const id = body.getAttributeNS(NS.wsu, "Id")!;
      dom.one(NS.soap11, "Body").setAttributeNS(NS.wsu, "wsu:Id", id);
      dom.one(NS.soap11, "Header").appendChild(body as never);
    });
    await expectRefused(xml, clock, "Unable to verify signed request", /names more than one element/);
  });

  test("original signed Body wrapped first in the Header (before the new Body in document order), new Body with the same Id → Unable to verify signed request (duplicate id)", async () => {
    const clock = new ManualClock();
    const xml = wrap(signed(clock), (dom, body) => {
      const id = body.getAttributeNS(NS.wsu, "Id")!;
      dom.one(NS.soap11, "Body").setAttributeNS(NS.wsu, "wsu:Id", id);
      const header = dom.one(NS.soap11, "Header");
      const wrapper = dom.fragment(`<x:Wrapper xmlns:x="urn:x"/>`);
      wrapper.appendChild(body as never);
      header.insertBefore(wrapper, header.firstChild);
    });
    await expectRefused(xml, clock, "Unable to verify signed request", /names more than one element/);
  });

  test("same id spelled as wsu:Id on one element and plain Id on another → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    const id = dom.one(NS.soap11, "Body").getAttributeNS(NS.wsu, "Id");
    const decoy = dom.fragment(`<x:Decoy xmlns:x="urn:x" Id="${id}"/>`);
    dom.one(NS.soap11, "Header").appendChild(decoy);
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /names more than one element/);
  });

  test("signature over the Timestamp only → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    await expectRefused(signed(clock, { signedParts: ["timestamp"] }), clock, "Unable to verify signed request", /Body that is dispatched is not signed/);
  });

  test("signature over the Body only while a Timestamp is present → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    await expectRefused(signed(clock, { signedParts: ["body"] }), clock, "Unable to verify signed request", /wsu:Timestamp is not signed/);
  });

  test("Body text modified after signing → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const xml = signed(clock).replace("printer on fire", "printer is fine");
    await expectRefused(xml, clock, "Unable to verify signed request", /digest of #.* does not match/);
  });

  test("element added to the signed Body after signing → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    dom.one("http://www.service-now.com/incident", "insert").appendChild(dom.fragment("<active>false</active>"));
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /digest of #.* does not match/);
  });

  test("Reference retargeted to an unused id → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    const bodyId = dom.one(NS.soap11, "Body").getAttributeNS(NS.wsu, "Id");
    const reference = dom.all(NS.ds, "Reference").find((element) => element.getAttribute("URI") === `#${bodyId}`)!;
    reference.setAttribute("URI", `#${UNUSED_ID}`);
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /names no element/);
  });

  test("Reference with an empty URI (whole document) → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    dom.all(NS.ds, "Reference")[0]!.setAttribute("URI", "");
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /is not a same-document #id/);
  });

  test("Reference with an XPointer URI → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    const reference = dom.all(NS.ds, "Reference")[0]!;
    reference.setAttribute("URI", `#xpointer(id('${reference.getAttribute("URI")!.slice(1)}'))`);
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /is not a same-document #id/);
  });

  test("comment inside DigestValue → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    const digestValue = dom.all(NS.ds, "DigestValue")[0]!;
    const text = digestValue.textContent!;
    digestValue.textContent = text.slice(0, 8);
    digestValue.appendChild(dom.document.createComment("x"));
    digestValue.appendChild(dom.document.createTextNode(text.slice(8)));
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /DigestValue is not plain base64 text/);
  });

  test("comment inside SignatureValue → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    const signatureValue = dom.one(NS.ds, "SignatureValue");
    const text = signatureValue.textContent!;
    signatureValue.textContent = text.slice(0, 8);
    signatureValue.appendChild(dom.document.createComment("x"));
    signatureValue.appendChild(dom.document.createTextNode(text.slice(8)));
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /SignatureValue is not plain base64 text/);
  });

  test("two ds:Signature elements in the Security header → Unable to verify signed request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    const signature = dom.one(NS.ds, "Signature");
    signature.parentNode!.appendChild(signature.cloneNode(true));
    await expectRefused(dom.xml(), clock, "Unable to verify signed request", /2 ds:Signature elements/);
  });

  test("two wsse:Security headers for this receiver → Failed to extract principal(s) from request", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    dom.one(NS.soap11, "Header").appendChild(dom.fragment(`<wsse:Security xmlns:wsse="${NS.wsse}"/>`));
    await expectRefused(dom.xml(), clock, "Failed to extract principal(s) from request", /2 wsse:Security headers address this receiver/);
  });

  test("a signed Security header addressed to another actor is ignored → SOAP request not Signed. Policy requires signing", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    dom.one(NS.wsse, "Security").setAttributeNS(NS.soap11, "soapenv:actor", "urn:some-intermediary");
    await expectRefused(dom.xml(), clock, "SOAP request not Signed. Policy requires signing", /1 for other actors ignored/);
  });

  test("a Security header with actor 'next' is addressed to us → admitted", async () => {
    const clock = new ManualClock();
    const dom = tamperable(signed(clock));
    dom.one(NS.wsse, "Security").setAttributeNS(NS.soap11, "soapenv:actor", "http://schemas.xmlsoap.org/soap/actor/next");
    assert.equal(outcomeOf(await decide(config, dom.xml(), { clock })), "admitted");
  });
});
