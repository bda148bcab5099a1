/**
 * The attack fixtures of test/helpers/tamper.ts do what they claim: the
 * wrapping attacks keep a signature that an id-following verifier
 * (xmlsec1) still accepts while the dispatched Body is the attacker's; the
 * key-confusion ones carry a signature valid under the attacker's
 * certificate only; the structural ones add exactly what they say.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { DSIG_ALGORITHMS, NS } from "../../src/xml/ns.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { missingToolReason, verifyWithXmlsec1 } from "../helpers/signers.js";
import {
  ATTACKER_NS,
  FOREIGN_ACTOR,
  addSecondSecurityHeader,
  addSecondSignature,
  addSecondTimestamp,
  addTransformToBodyReference,
  duplicateIdAfter,
  duplicateIdBefore,
  injectCommentIntoDigestValue,
  injectCommentIntoSignatureValue,
  moveSignedBodyIntoForeignActorHeader,
  moveSignedBodyIntoHeader,
  moveSignedBodyIntoSecurity,
  moveSignedBodyIntoSignatureObject,
  pointStrAtOtherToken,
  removeSignature,
  replaceBodyContent,
  replaceBstWithAttackerCert,
  resignWithKey,
  signatureOverTimestampOnly,
} from "../helpers/tamper.js";

const INCIDENT = "http://www.service-now.com/incident";
const ENVELOPE = `<soapenv:Envelope xmlns:soapenv="${NS.soap11}" xmlns:inc="${INCIDENT}"><soapenv:Body><inc:insert><short_description>Printer down</short_description><priority>2</priority></inc:insert></soapenv:Body></soapenv:Envelope>`;

let dir: string;
let partner: TestCertificate;
let attacker: TestCertificate;
let signed: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tamper-"));
  partner = makeCertificate(dir, "partner", { key: "rsa2048" });
  attacker = makeCertificate(dir, "attacker", { key: "rsa2048" });
  signed = signEnvelope(ENVELOPE, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, "text/xml");
}
function all(document: Document, namespace: string, localName: string): Element[] {
  return Array.from(document.getElementsByTagNameNS(namespace, localName)) as Element[];
}
function dispatchedBody(document: Document): Element {
  const envelope = document.documentElement!;
  return (Array.from(envelope.childNodes) as Element[]).find((node) => node.nodeType === 1 && node.localName === "Body")!;
}
function operationOf(body: Element): string {
  return (Array.from(body.childNodes) as Element[]).find((node) => node.nodeType === 1)!.localName!;
}
function bodyId(xml: string): string {
  return /soapenv:Body[^>]*wsu:Id="([^"]+)"/.exec(xml)![1]!;
}

describe("tamper helpers", { skip: missingToolReason("xmlsec1") }, () => {
  test("the untampered fixture verifies with xmlsec1", () => {
    assert.deepEqual(verifyWithXmlsec1(signed, partner.certPem), { kind: "verified" });
  });

  const wrappings = [
    ["moveSignedBodyIntoHeader", moveSignedBodyIntoHeader, (body: Element) => body.parentNode!.parentNode!.localName === "Header" && body.parentNode!.namespaceURI === ATTACKER_NS],
    ["moveSignedBodyIntoSecurity", moveSignedBodyIntoSecurity, (body: Element) => body.parentNode!.localName === "Security"],
    ["moveSignedBodyIntoSignatureObject", moveSignedBodyIntoSignatureObject, (body: Element) => body.parentNode!.localName === "Object" && body.parentNode!.parentNode!.localName === "Signature"],
    ["moveSignedBodyIntoForeignActorHeader", moveSignedBodyIntoForeignActorHeader, (body: Element) => (body.parentNode as Element).getAttributeNS(NS.soap11, "actor") === FOREIGN_ACTOR],
  ] as const;
  for (const [name, wrap, placedAsClaimed] of wrappings) {
    test(`${name}: signature still valid for an id-following verifier, dispatched Body is the attacker's deleteMultiple`, () => {
      const attacked = wrap(signed);
      const document = parse(attacked);
      const body = dispatchedBody(document);
      assert.equal(operationOf(body), "deleteMultiple");
      assert.equal(body.hasAttributeNS(NS.wsu, "Id"), false);
      const signedBodies = all(document, NS.soap11, "Body").filter((b) => b.getAttributeNS(NS.wsu, "Id") === bodyId(signed));
      assert.equal(signedBodies.length, 1);
      assert.equal(operationOf(signedBodies[0]!), "insert");
      assert.ok(placedAsClaimed(signedBodies[0]!));
      assert.deepEqual(verifyWithXmlsec1(attacked, partner.certPem), { kind: "verified" });
    });
  }

  test("duplicateIdBefore: the signed copy comes first, the dispatched attacker Body carries the same wsu:Id", () => {
    const document = parse(duplicateIdBefore(signed));
    const withId = all(document, NS.soap11, "Body").filter((b) => b.getAttributeNS(NS.wsu, "Id") === bodyId(signed));
    assert.deepEqual(withId.map(operationOf), ["insert", "deleteMultiple"]);
    assert.equal(withId[1], dispatchedBody(document));
  });

  test("duplicateIdAfter: the dispatched attacker Body comes first, the signed copy nested at the end of its operation", () => {
    const document = parse(duplicateIdAfter(signed));
    const withId = all(document, NS.soap11, "Body").filter((b) => b.getAttributeNS(NS.wsu, "Id") === bodyId(signed));
    assert.deepEqual(withId.map(operationOf), ["deleteMultiple", "insert"]);
    assert.equal(withId[0], dispatchedBody(document));
  });

  test("replaceBodyContent changes the value and breaks the Body digest", () => {
    const attacked = replaceBodyContent(signed, "Printer down", "Printer fixed");
    assert.match(attacked, /<short_description>Printer fixed<\/short_description>/);
    assert.equal(verifyWithXmlsec1(attacked, partner.certPem).kind, "failed");
  });

  for (const [name, inject, localName] of [
    ["injectCommentIntoDigestValue", injectCommentIntoDigestValue, "DigestValue"],
    ["injectCommentIntoSignatureValue", injectCommentIntoSignatureValue, "SignatureValue"],
  ] as const) {
    test(`${name} splits the ds:${localName} text around a comment, keeping its characters`, () => {
      const original = all(parse(signed), NS.ds, localName)[0]!.textContent;
      const target = all(parse(inject(signed)), NS.ds, localName)[0]!;
      assert.deepEqual(Array.from(target.childNodes).map((node) => node.nodeType), [3, 8, 3]);
      assert.equal(target.textContent, original);
    });
  }

  test("replaceBstWithAttackerCert: valid under the attacker's certificate only", () => {
    const attacked = replaceBstWithAttackerCert(signed, attacker);
    assert.equal(all(parse(attacked), NS.wsse, "BinarySecurityToken").length, 1);
    assert.deepEqual(verifyWithXmlsec1(attacked, attacker.certPem), { kind: "verified" });
    assert.equal(verifyWithXmlsec1(attacked, partner.certPem).kind, "failed");
  });

  test("pointStrAtOtherToken: the reference names the attacker's added token; the partner's token stays", () => {
    const attacked = pointStrAtOtherToken(signed, attacker);
    const document = parse(attacked);
    const tokens = all(document, NS.wsse, "BinarySecurityToken");
    assert.equal(tokens.length, 2);
    const uri = all(document, NS.wsse, "Reference")[0]!.getAttribute("URI");
    assert.equal(uri, `#${tokens[1]!.getAttributeNS(NS.wsu, "Id")}`);
    assert.deepEqual(verifyWithXmlsec1(attacked, attacker.certPem), { kind: "verified" });
    assert.equal(verifyWithXmlsec1(attacked, partner.certPem).kind, "failed");
  });

  test("resignWithKey: KeyInfo unchanged, signature valid under the other key only", () => {
    const attacked = resignWithKey(signed, attacker.keyPem);
    assert.equal(verifyWithXmlsec1(attacked, partner.certPem).kind, "failed");
    assert.deepEqual(verifyWithXmlsec1(attacked, attacker.certPem), { kind: "verified" });
  });

  test("addTransformToBodyReference: extra transform first in the Body reference, signature re-made by the partner", () => {
    const attacked = addTransformToBodyReference(signed, DSIG_ALGORITHMS.transform.envelopedSignature, partner.keyPem);
    const reference = all(parse(attacked), NS.ds, "Reference").find((r) => r.getAttribute("URI") === `#${bodyId(signed)}`)!;
    const algorithms = all(reference as unknown as Document, NS.ds, "Transform").map((t) => t.getAttribute("Algorithm"));
    assert.deepEqual(algorithms, [DSIG_ALGORITHMS.transform.envelopedSignature, DSIG_ALGORITHMS.c14n.exclusive]);
    assert.deepEqual(verifyWithXmlsec1(attacked, partner.certPem), { kind: "verified" });
  });

  test("signatureOverTimestampOnly: one reference, to the Timestamp; valid", () => {
    const attacked = signatureOverTimestampOnly(ENVELOPE, { key: partner.keyPem, cert: partner.certPem });
    const document = parse(attacked);
    const uris = all(document, NS.ds, "Reference").map((r) => r.getAttribute("URI"));
    assert.deepEqual(uris, [`#${all(document, NS.wsu, "Timestamp")[0]!.getAttributeNS(NS.wsu, "Id")}`]);
    assert.deepEqual(verifyWithXmlsec1(attacked, partner.certPem), { kind: "verified" });
  });

  test("addSecondSignature: two ds:Signature elements in one wsse:Security", () => {
    const document = parse(addSecondSignature(signed, { key: attacker.keyPem, cert: attacker.certPem }));
    assert.equal(all(document, NS.wsse, "Security").length, 1);
    assert.equal(all(document, NS.ds, "Signature").length, 2);
    assert.equal(all(document, NS.wsu, "Timestamp").length, 1);
  });

  test("addSecondSecurityHeader: a second wsse:Security, for the ultimate receiver or for a named actor", () => {
    const forUs = parse(addSecondSecurityHeader(signed));
    const headers = all(forUs, NS.wsse, "Security");
    assert.equal(headers.length, 2);
    assert.equal(headers[1]!.hasAttributeNS(NS.soap11, "actor"), false);
    const forOther = all(parse(addSecondSecurityHeader(signed, { actor: FOREIGN_ACTOR })), NS.wsse, "Security");
    assert.equal(forOther[1]!.getAttributeNS(NS.soap11, "actor"), FOREIGN_ACTOR);
  });

  test("addSecondTimestamp: two wsu:Timestamp elements with distinct ids in the one wsse:Security", () => {
    const document = parse(addSecondTimestamp(signed));
    const timestamps = all(document, NS.wsu, "Timestamp");
    assert.equal(timestamps.length, 2);
    assert.notEqual(timestamps[0]!.getAttributeNS(NS.wsu, "Id"), timestamps[1]!.getAttributeNS(NS.wsu, "Id"));
    assert.equal(all(document, NS.wsse, "Security").length, 1);
  });

  test("removeSignature: no ds:Signature, the BinarySecurityToken and Timestamp stay", () => {
    const document = parse(removeSignature(signed));
    assert.equal(all(document, NS.ds, "Signature").length, 0);
    assert.equal(all(document, NS.wsse, "BinarySecurityToken").length, 1);
    assert.equal(all(document, NS.wsu, "Timestamp").length, 1);
  });
});
