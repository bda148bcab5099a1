/**
 * Our exclusive c14n (src/wss/exclusive-c14n.ts, behind src/wss/c14n.ts) is
 * checked three ways: against xml-crypto's ExclusiveCanonicalization where
 * that is right, against libxml2's exc-c14n (the one xmlsec1 uses, through
 * lxml) on the namespace edge cases, and end to end: envelopes whose Body is
 * full of those edge cases, signed by xmlsec1, are admitted by the engine,
 * and an altered one is not.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { ExclusiveCanonicalization } from "xml-crypto";
import { C14N_ALGORITHMS, canonicalize, canonicalizeTo } from "../../src/wss/c14n.js";
import { xmlParser } from "../../src/xml/parse.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";
import { missingToolReason, signWithXmlsec1, verifyWithXmlsec1 } from "../helpers/signers.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { decide, outcomeOf, policyYaml, wssConfig, x509ProfileYaml } from "../helpers/wss-config.js";

const limits = { maxXmlDepth: 128, maxXmlElements: 10_000, maxAttributesPerElement: 64 };
const SOAP = "http://schemas.xmlsoap.org/soap/envelope/";

/** Bodies full of namespace and escaping cases; each is the content of <soapenv:Body wsu:Id="B">. */
const BODY_CASES: Readonly<Record<string, string>> = {
  "default namespace, then undeclared with xmlns=\"\"": `<op xmlns="urn:op"><a>1</a><b xmlns=""><c>2</c><d xmlns="urn:d"><e/></d></b></op>`,
  "a prefix redeclared to another URI below": `<p:op xmlns:p="urn:one"><p:a><p:b xmlns:p="urn:two"><p:c/></p:b></p:a></p:op>`,
  "attributes from two namespaces, prefix order unlike URI order": `<op xmlns:z="urn:a" xmlns:a="urn:z" a:x="1" z:y="2" b="3" a="4"/>`,
  "declarations on ancestors used only deep down": `<op xmlns:q="urn:q" xmlns:unused="urn:unused"><x><y q:attr="v"><q:z/></y></x></op>`,
  "escapes in text and attributes": `<op note="tab&#9;nl&#10;cr&#13;quote&quot;amp&amp;lt&lt;gt>">a &amp; b &lt; c > d &#13; e</op>`,
  "CDATA and comments": `<op><![CDATA[x < y & z]]><!-- dropped --><n>after</n></op>`,
  "xml:lang and xml:space attributes": `<op xml:lang="en" xml:space="preserve"> spaced </op>`,
  "non-ASCII names and text": `<é:op xmlns:é="urn:e-acute" é:ä="ö">naïve – ✓ 𝄞</é:op>`,
};

function envelopeWith(body: string): string {
  return (
    `<soapenv:Envelope xmlns:soapenv="${SOAP}" xmlns:outer="urn:outer" xmlns="urn:envelope-default">` +
    `<soapenv:Header/><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`
  );
}

function parseDocument(xml: string) {
  const parsed = xmlParser.parse(xml, limits);
  if (parsed.kind !== "parsed") throw new Error(parsed.reason);
  return parsed.document;
}

/** The first element with this local name, in the request tree or an @xmldom document (both offer getElementsByTagNameNS). */
function firstByLocalName(document: { getElementsByTagNameNS(namespace: string, localName: string): ArrayLike<unknown> }, localName: string): Element {
  const found = document.getElementsByTagNameNS("*", localName)[0];
  if (!found) throw new Error(`no ${localName}`);
  return found as Element;
}

function ours(xml: string, localName: string, prefixList: string[] = []): string {
  const result = canonicalize(firstByLocalName(parseDocument(xml), localName), C14N_ALGORITHMS.exclusive, prefixList);
  if (result.kind !== "canonical") throw new Error(result.reason);
  return result.text;
}

function xmlCrypto(xml: string, localName: string): string {
  const document = new DOMParser().parseFromString(xml, "text/xml");
  const element = document.getElementsByTagNameNS("*", localName)[0]!;
  return new ExclusiveCanonicalization().process(element as unknown as Parameters<ExclusiveCanonicalization["process"]>[0], {});
}

/** libxml2's exclusive c14n of the first element with this local name (lxml canonicalizes an element as the apex of a subset). */
function libxml2(xml: string, localName: string, prefixList: string[] = []): string | undefined {
  const script = [
    "import sys, json",
    "from lxml import etree",
    "args = json.loads(sys.argv[1])",
    "root = etree.fromstring(sys.stdin.buffer.read())",
    "el = root.xpath('//*[local-name()=$n]', n=args['name'])[0]",
    "sys.stdout.buffer.write(etree.tostring(el, method='c14n', exclusive=True, with_comments=False, inclusive_ns_prefixes=args['prefixes'] or None))",
  ].join("\n");
  const prefixes = prefixList.map((prefix) => (prefix === "#default" ? "#default" : prefix));
  const run = spawnSync("/usr/bin/python3", ["-c", script, JSON.stringify({ name: localName, prefixes })], { input: xml, encoding: "utf8" });
  if (run.error || run.status !== 0) return undefined;
  return run.stdout;
}

const lxmlMissing = spawnSync("/usr/bin/python3", ["-c", "import lxml"]).status === 0 ? false : "python3-lxml is not installed (Debian: python3-lxml)";

test("each Body case: our exclusive c14n of the Body equals libxml2's (xmlsec1's c14n)", { skip: lxmlMissing }, () => {
  for (const [name, body] of Object.entries(BODY_CASES)) {
    const xml = envelopeWith(body);
    assert.equal(ours(xml, "Body"), libxml2(xml, "Body"), name);
  }
});

test("each Body case without xml-crypto's known quirks: ours equals xml-crypto's ExclusiveCanonicalization", () => {
  // xml-crypto repeats xmlns="" on every unqualified descendant of an undeclaring element
  // and sorts attributes by the concatenation of URI and local name; those cases are left to libxml2 above.
  const quirky = new Set(["default namespace, then undeclared with xmlns=\"\"", "attributes from two namespaces, prefix order unlike URI order"]);
  for (const [name, body] of Object.entries(BODY_CASES)) {
    if (quirky.has(name)) continue;
    const xml = envelopeWith(body);
    assert.equal(ours(xml, "Body"), xmlCrypto(xml, "Body"), name);
  }
});

test("xmlns=\"\" is rendered once, where the default namespace is undeclared, not again below", () => {
  const xml = envelopeWith(BODY_CASES['default namespace, then undeclared with xmlns=""']!);
  assert.equal(
    ours(xml, "Body"),
    `<soapenv:Body xmlns:soapenv="${SOAP}"><op xmlns="urn:op"><a>1</a><b xmlns=""><c>2</c><d xmlns="urn:d"><e></e></d></b></op></soapenv:Body>`,
  );
});

test("attributes sort by namespace URI, then local name; declarations by prefix", () => {
  const xml = envelopeWith(BODY_CASES["attributes from two namespaces, prefix order unlike URI order"]!);
  assert.equal(ours(xml, "op"), `<op xmlns="urn:envelope-default" xmlns:a="urn:z" xmlns:z="urn:a" a="4" b="3" z:y="2" a:x="1"></op>`);
});

test("InclusiveNamespaces PrefixList: inherited prefixes are rendered on the apex, as libxml2 does", { skip: lxmlMissing }, () => {
  const xml = envelopeWith(`<p:op xmlns:p="urn:p"><p:a>1</p:a><b/></p:op>`);
  for (const prefixList of [["outer"], ["outer", "soapenv"], ["absent"], ["p"]]) {
    assert.equal(ours(xml, "op", prefixList), libxml2(xml, "op", prefixList), prefixList.join(" "));
  }
});

test("PrefixList #default: the inherited default namespace is rendered on a prefixed apex (exc-c14n §3: inclusive treatment)", () => {
  // As the earlier xml-crypto-based renderer did. libxml2 through lxml puts the default namespace on the first
  // unprefixed descendant instead (lxml canonicalizes an element through a copied root), so this is asserted literally.
  const xml = envelopeWith(`<p:op xmlns:p="urn:p"><p:a>1</p:a><b/></p:op>`);
  assert.equal(ours(xml, "op", ["#default"]), `<p:op xmlns="urn:envelope-default" xmlns:p="urn:p"><p:a>1</p:a><b></b></p:op>`);
  assert.equal(ours(xml, "op", []), `<p:op xmlns:p="urn:p"><p:a>1</p:a><b xmlns="urn:envelope-default"></b></p:op>`);
});

test("the streamed form equals the string form, in several chunks for a large element", () => {
  const rows = Array.from({ length: 4000 }, (_, i) => `<row n="${i}">value &amp; ${i}</row>`).join("");
  const document = parseDocument(envelopeWith(`<op xmlns="urn:op">${rows}</op>`));
  const body = firstByLocalName(document, "Body");
  const chunks: string[] = [];
  assert.deepEqual(canonicalizeTo(body, C14N_ALGORITHMS.exclusive, [], { write: (chunk) => chunks.push(chunk) }), { kind: "written" });
  assert.ok(chunks.length > 1, `expected several chunks, got ${chunks.length}`);
  const whole = canonicalize(body, C14N_ALGORITHMS.exclusive);
  assert.equal(whole.kind === "canonical" ? whole.text : "", chunks.join(""));
});

test("a processing instruction inside the canonicalized element is refused", () => {
  // The request parser refuses every processing instruction; this builds the tree without it.
  const document = new DOMParser().parseFromString(envelopeWith(`<op><?pi data?></op>`), "text/xml");
  assert.deepEqual(canonicalize(firstByLocalName(document, "Body"), C14N_ALGORITHMS.exclusive), {
    kind: "unsupported",
    reason: "a processing instruction inside the canonicalized element",
  });
});

test("canonicalizing never changes the DOM", () => {
  const document = parseDocument(envelopeWith(`<p:op xmlns:p="urn:p"><b/></p:op>`));
  const op = firstByLocalName(document, "op");
  const before = op.attributes.length;
  canonicalize(op, C14N_ALGORITHMS.exclusive, ["outer", "#default"]);
  assert.equal(op.attributes.length, before);
});

test("xmlsec1-signed envelopes with every Body case are admitted; the same with one character changed → Unable to verify signed request", { skip: missingToolReason("xmlsec1") }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "c14n-xmlsec1-"));
  const partner = makeCertificate(dir, "partner", { key: "rsa2048" });
  const config = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, { "certs/partner.pem": partner.certPem });
  for (const [name, body] of Object.entries(BODY_CASES)) {
    const signed = signWithXmlsec1(envelopeWith(body), partner, { keyReference: "bst", timestampSeconds: 300 });
    assert.equal(outcomeOf(await decide(config, signed)), "admitted", name);
    const altered = signed.replace("</soapenv:Body>", " </soapenv:Body>");
    assert.notEqual(altered, signed);
    assert.equal(outcomeOf(await decide(config, altered)), "Unable to verify signed request", `${name} (altered)`);
  }
});

test("our signer over every Body case (it uses the same exclusive c14n): xmlsec1 verifies it and the engine admits it", { skip: missingToolReason("xmlsec1") }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "c14n-signer-"));
  const partner = makeCertificate(dir, "partner", { key: "rsa2048" });
  const config = wssConfig({ profiles: [x509ProfileYaml("Partner certificate", "certs/partner.pem")], policies: [policyYaml(["Partner certificate"])] }, { "certs/partner.pem": partner.certPem });
  for (const [name, body] of Object.entries(BODY_CASES)) {
    const signed = signEnvelope(envelopeWith(body), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
    assert.deepEqual(verifyWithXmlsec1(signed, partner.certPem), { kind: "verified" }, name);
    assert.equal(outcomeOf(await decide(config, signed)), "admitted", name);
  }
});
