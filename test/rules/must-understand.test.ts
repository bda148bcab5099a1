/**
 * SOAP's mustUnderstand rule (SPEC §5, "These two SOAP processing rules"):
 * a header block for this receiver (no actor/role, or next / ultimate
 * receiver) with mustUnderstand 1/true that the gateway does not process —
 * anything but our wsse:Security — is a MustUnderstand fault, HTTP 500,
 * faultstring `Header not understood: {qname}`; SOAP 1.1 faultcode
 * soapenv:MustUnderstand, SOAP 1.2 Code env:MustUnderstand with a
 * NotUnderstood header block. For every SOAP request: internal integration
 * users and `ws_security.required: false` included. Before this rule such a
 * header was silently accepted. Real HTTP, a real SQLite file.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { basicAuth, postSoap, SOAP11, SOAP12, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";

const CALLER = basicAuth("caller", "caller-password");
const INTEGRATION = basicAuth("integration", "integration-password");
const WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const WSSE_DRAFT_2002 = "http://schemas.xmlsoap.org/ws/2002/07/secext";

const USERS_YAML = `users:
  - user_name: caller
    password: caller-password
    roles: [soap]
  - user_name: integration
    password: integration-password
    roles: [soap]
    internal_integration_user: true
`;

function gatewayYaml(wsSecurityRequired: boolean): string {
  return `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: ${wsSecurityRequired}
  default_policy: Default Security Policy
strict_security: false
`;
}

const POLICIES_YAML = `policies:
  - name: Default Security Policy
    type: inbound
    require_signed: true
    authenticate: all
    profiles: []
`;

/** ws_security.required: false, the caller is an ordinary user. */
let openGateway: TestGateway;
/** ws_security.required: true (a policy nobody unsigned passes), the caller is the internal integration user. */
let securedGateway: TestGateway;

before(async () => {
  const files = { users: USERS_YAML, policies: POLICIES_YAML };
  openGateway = await startTestGateway({ files: { ...files, gateway: gatewayYaml(false) } });
  securedGateway = await startTestGateway({ files: { ...files, gateway: gatewayYaml(true) } });
});
after(async () => {
  await Promise.all([openGateway.close(), securedGateway.close()]);
});

let sequence = 0;
/** An insert of a fresh record number with `headerBlocks` in the Header. */
function envelopeWith(headerBlocks: string, version: "1.1" | "1.2" = "1.1"): { xml: string; number: string } {
  sequence += 1;
  const number = `MU-${version}-${sequence}`;
  const ns = version === "1.1" ? SOAP11 : SOAP12;
  const xml =
    `<env:Envelope xmlns:env="${ns}" xmlns:tns="http://www.service-now.com/incident">` +
    `<env:Header>${headerBlocks}</env:Header>` +
    `<env:Body><tns:insert><number>${number}</number></tns:insert></env:Body></env:Envelope>`;
  return { xml, number };
}

const callers = [
  { name: "ws_security.required: false", gateway: () => openGateway, authorization: CALLER },
  { name: "internal integration user", gateway: () => securedGateway, authorization: INTEGRATION },
] as const;

function contentTypeOf(version: "1.1" | "1.2"): string {
  return version === "1.1" ? "text/xml; charset=utf-8" : "application/soap+xml; charset=utf-8";
}

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, "text/xml");
}

function only(document: Document, ns: string, localName: string): Element {
  const found = document.getElementsByTagNameNS(ns, localName);
  assert.equal(found.length, 1, `one ${localName}`);
  return found[0]!;
}

/** Resolves a QName written in element content or an attribute against the element's namespace scope. */
function resolveQName(element: Element, qname: string): { namespace: string | null; localName: string } {
  const colon = qname.indexOf(":");
  const prefix = colon < 0 ? null : qname.slice(0, colon);
  return { namespace: element.lookupNamespaceURI(prefix), localName: qname.slice(colon + 1) };
}

/** Sends, asserts the exact MustUnderstand fault for SOAP 1.1 and that nothing was written. */
async function assertNotUnderstood11(gateway: TestGateway, authorization: string, xml: string, qname: string): Promise<void> {
  const before = gateway.rows("incident");
  const response = await postSoap(gateway, "incident", xml, { authorization, contentType: contentTypeOf("1.1") });
  assert.equal(response.status, 500, response.body);
  assert.equal(textOf(response.body, "faultcode"), "soapenv:MustUnderstand");
  assert.equal(textOf(response.body, "faultstring"), `Header not understood: ${qname}`);
  const faultcodes = parse(response.body).getElementsByTagName("faultcode");
  assert.equal(faultcodes.length, 1);
  const faultcode = faultcodes[0]!;
  assert.deepEqual(resolveQName(faultcode, faultcode.textContent!), { namespace: SOAP11, localName: "MustUnderstand" });
  assert.deepEqual(gateway.rows("incident"), before, "nothing written");
}

/** Sends, asserts the exact SOAP 1.2 MustUnderstand fault with its NotUnderstood block, and that nothing was written. */
async function assertNotUnderstood12(
  gateway: TestGateway,
  authorization: string,
  xml: string,
  expected: { qname: string; namespace: string; localName: string },
): Promise<void> {
  const before = gateway.rows("incident");
  const response = await postSoap(gateway, "incident", xml, { authorization, contentType: contentTypeOf("1.2") });
  assert.equal(response.status, 500, response.body);
  assert.match(response.headers.get("content-type") ?? "", /^application\/soap\+xml/);
  const document = parse(response.body);
  const code = only(document, SOAP12, "Code");
  const value = code.getElementsByTagNameNS(SOAP12, "Value")[0]!;
  assert.deepEqual(resolveQName(value, value.textContent!), { namespace: SOAP12, localName: "MustUnderstand" });
  assert.equal(code.getElementsByTagNameNS(SOAP12, "Subcode").length, 0);
  assert.equal(only(document, SOAP12, "Text").textContent, `Header not understood: ${expected.qname}`);
  const header = only(document, SOAP12, "Header");
  const notUnderstood = only(document, SOAP12, "NotUnderstood");
  assert.equal(notUnderstood.parentNode, header, "NotUnderstood is a header block of the fault envelope");
  assert.deepEqual(resolveQName(notUnderstood, notUnderstood.getAttribute("qname")!), { namespace: expected.namespace, localName: expected.localName });
  assert.deepEqual(gateway.rows("incident"), before, "nothing written");
}

async function assertAdmitted(gateway: TestGateway, authorization: string, request: { xml: string; number: string }, version: "1.1" | "1.2" = "1.1"): Promise<void> {
  const response = await postSoap(gateway, "incident", request.xml, { authorization, contentType: contentTypeOf(version) });
  assert.equal(response.status, 200, response.body);
  assert.ok(gateway.rows("incident").some((row) => row.number === request.number), "the insert ran");
}

for (const caller of callers) {
  describe(`mustUnderstand header blocks we do not process (${caller.name})`, () => {
    for (const [value, attributes] of [
      ["1, no actor", `env:mustUnderstand="1"`],
      ["true, no actor", `env:mustUnderstand="true"`],
      ["' 1 ' (xs:boolean white space), no actor", `env:mustUnderstand=" 1 "`],
      ["1, actor next", `env:mustUnderstand="1" env:actor="http://schemas.xmlsoap.org/soap/actor/next"`],
    ] as const) {
      test(`SOAP 1.1 custom header, mustUnderstand ${value} → soapenv:MustUnderstand, Header not understood: tr:Trace, nothing written`, async () => {
        const { xml } = envelopeWith(`<tr:Trace xmlns:tr="urn:example:trace" ${attributes}>abc</tr:Trace>`);
        await assertNotUnderstood11(caller.gateway(), caller.authorization, xml, "tr:Trace");
      });
    }

    for (const [value, attributes] of [
      ["true, no role", `env:mustUnderstand="true"`],
      ["1, role ultimateReceiver", `env:mustUnderstand="1" env:role="http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"`],
      ["true, role next", `env:mustUnderstand="true" env:role="http://www.w3.org/2003/05/soap-envelope/role/next"`],
    ] as const) {
      test(`SOAP 1.2 custom header, mustUnderstand ${value} → env:MustUnderstand with NotUnderstood qname, nothing written`, async () => {
        const { xml } = envelopeWith(`<tr:Trace xmlns:tr="urn:example:trace" ${attributes}>abc</tr:Trace>`, "1.2");
        await assertNotUnderstood12(caller.gateway(), caller.authorization, xml, { qname: "tr:Trace", namespace: "urn:example:trace", localName: "Trace" });
      });
    }

    test("a wsse:Security of the 2002 draft namespace is not ours: mustUnderstand=1 → MustUnderstand fault", async () => {
      const { xml } = envelopeWith(`<old:Security xmlns:old="${WSSE_DRAFT_2002}" env:mustUnderstand="1"/>`);
      await assertNotUnderstood11(caller.gateway(), caller.authorization, xml, "old:Security");
    });

    test("the second of two header blocks is the one not understood (the first may be ignored)", async () => {
      const { xml } = envelopeWith(`<a:Ignored xmlns:a="urn:a" env:mustUnderstand="0"/><b:Needed xmlns:b="urn:b" env:mustUnderstand="1"/>`);
      await assertNotUnderstood11(caller.gateway(), caller.authorization, xml, "b:Needed");
    });

    test("an unprefixed header block (default namespace) → Header not understood: Trace, NotUnderstood names it in its namespace", async () => {
      const { xml } = envelopeWith(`<Trace xmlns="urn:example:trace" env:mustUnderstand="true"/>`, "1.2");
      await assertNotUnderstood12(caller.gateway(), caller.authorization, xml, { qname: "Trace", namespace: "urn:example:trace", localName: "Trace" });
    });

    test("a header block whose prefix is the fault envelope's own (soapenv) → NotUnderstood still resolves to the block's namespace", async () => {
      const { xml } = envelopeWith(`<soapenv:Trace xmlns:soapenv="urn:example:trace" env:mustUnderstand="1"/>`, "1.2");
      await assertNotUnderstood12(caller.gateway(), caller.authorization, xml, { qname: "soapenv:Trace", namespace: "urn:example:trace", localName: "Trace" });
    });

    test("mustUnderstand that is not a boolean (yes) → 400 Malformed SOAP request, nothing written", async () => {
      const gateway = caller.gateway();
      const before = gateway.rows("incident");
      const { xml } = envelopeWith(`<tr:Trace xmlns:tr="urn:example:trace" env:mustUnderstand="yes"/>`);
      const response = await postSoap(gateway, "incident", xml, { authorization: caller.authorization });
      assert.equal(response.status, 400, response.body);
      assert.equal(textOf(response.body, "faultcode"), "soapenv:Client");
      assert.equal(textOf(response.body, "faultstring"), "Malformed SOAP request");
      assert.deepEqual(gateway.rows("incident"), before);
    });
  });

  describe(`header blocks that may be ignored (${caller.name})`, () => {
    for (const [name, block, version] of [
      ["SOAP 1.1 mustUnderstand=0", `<tr:Trace xmlns:tr="urn:t" env:mustUnderstand="0"/>`, "1.1"],
      ["SOAP 1.2 mustUnderstand=false", `<tr:Trace xmlns:tr="urn:t" env:mustUnderstand="false"/>`, "1.2"],
      ["no mustUnderstand", `<tr:Trace xmlns:tr="urn:t"/>`, "1.1"],
      ["SOAP 1.1 mustUnderstand=1 for another actor", `<tr:Trace xmlns:tr="urn:t" env:mustUnderstand="1" env:actor="urn:some-other-node"/>`, "1.1"],
      ["SOAP 1.2 mustUnderstand=true for role none", `<tr:Trace xmlns:tr="urn:t" env:mustUnderstand="true" env:role="http://www.w3.org/2003/05/soap-envelope/role/none"/>`, "1.2"],
      ["an unqualified mustUnderstand attribute (not SOAP's)", `<tr:Trace xmlns:tr="urn:t" mustUnderstand="1"/>`, "1.1"],
      ["our wsse:Security with mustUnderstand=1 (the one header block we process)", `<wsse:Security xmlns:wsse="${WSSE}" env:mustUnderstand="1"/>`, "1.1"],
      ["our wsse:Security with SOAP 1.2 mustUnderstand=true", `<wsse:Security xmlns:wsse="${WSSE}" env:mustUnderstand="true"/>`, "1.2"],
    ] as const) {
      test(`${name} → admitted`, async () => {
        const request = envelopeWith(block, version);
        await assertAdmitted(caller.gateway(), caller.authorization, request, version);
      });
    }
  });
}

test("bad Basic credentials with a mustUnderstand header → 401: credentials are checked first", async () => {
  const { xml } = envelopeWith(`<tr:Trace xmlns:tr="urn:t" env:mustUnderstand="1"/>`);
  const response = await postSoap(openGateway, "incident", xml, { authorization: basicAuth("caller", "wrong") });
  assert.equal(response.status, 401);
});
