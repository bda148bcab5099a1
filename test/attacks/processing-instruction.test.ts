/**
 * SOAP forbids processing instructions in a message (SPEC §5, "These two
 * SOAP processing rules"): one anywhere in the request document — prolog,
 * Header, Body, inside a signed value, after the Envelope — is `Malformed
 * SOAP request` (400, Client), for every SOAP request: signed or not,
 * internal integration users and `ws_security.required: false` included.
 * The XML declaration at the very start is not a processing instruction.
 *
 * The reported attack: inclusive c14n (xml-crypto) rendered a PI's data as
 * text while the operation reader skipped it, so wrapping part of a signed
 * encoded query in a PI kept the digest and turned a signed one-record
 * deleteMultiple into a delete-all. Real HTTP, a real SQLite file, a real
 * signature.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

const CALLER = basicAuth("caller", "caller-password");
const INTEGRATION = basicAuth("integration", "integration-password");

const USERS_YAML = `users:
  - user_name: caller
    password: caller-password
    roles: [soap]
  - user_name: partner.soap
    password: partner-password
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

const PROFILES_YAML = `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    bind_session: true
    run_as_user: partner.soap
    certificate: certs/partner.pem
`;

const POLICIES_YAML = `policies:
  - name: Default Security Policy
    type: inbound
    require_signed: true
    authenticate: all
    profiles: [Partner certificate]
`;

let pkiDir: string;
let partner: TestCertificate;
let signedGateway: TestGateway;
let openGateway: TestGateway;

before(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), "pi-attack-pki-"));
  partner = makeCertificate(pkiDir, "partner", { key: "rsa2048" });
  const files = { profiles: PROFILES_YAML, policies: POLICIES_YAML, users: USERS_YAML };
  const extra = { "certs/partner.pem": partner.certPem };
  signedGateway = await startTestGateway({ files: { ...files, gateway: gatewayYaml(true) }, extra });
  openGateway = await startTestGateway({ files: { ...files, gateway: gatewayYaml(false) }, extra });
});
after(async () => {
  await Promise.all([signedGateway.close(), openGateway.close()]);
  rmSync(pkiDir, { recursive: true, force: true });
});

function contentTypeOf(version: "1.1" | "1.2"): string {
  return version === "1.1" ? "text/xml; charset=utf-8" : "application/soap+xml; charset=utf-8";
}

/** Inserts `numbers` as the internal integration user (which skips the WS-Security policy). */
async function seed(gateway: TestGateway, numbers: readonly string[]): Promise<void> {
  for (const number of numbers) {
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", `<number>${number}</number>`), { authorization: INTEGRATION });
    assert.equal(response.status, 200, response.body);
  }
}

/** Asserts 400 `Malformed SOAP request` (Client / Sender) and that the incident table did not change. */
async function assertMalformed(gateway: TestGateway, xml: string, options: { authorization?: string; version?: "1.1" | "1.2" } = {}): Promise<void> {
  const version = options.version ?? "1.1";
  const before = gateway.rows("incident");
  const response = await postSoap(gateway, "incident", xml, { authorization: options.authorization ?? CALLER, contentType: contentTypeOf(version) });
  assert.equal(response.status, 400, response.body);
  if (version === "1.1") {
    assert.equal(textOf(response.body, "faultcode"), "soapenv:Client");
    assert.equal(textOf(response.body, "faultstring"), "Malformed SOAP request");
  } else {
    assert.equal(textOf(response.body, "Value"), "soapenv:Sender");
    assert.equal(textOf(response.body, "Text"), "Malformed SOAP request");
  }
  assert.deepEqual(gateway.rows("incident"), before, "nothing written or deleted");
}

describe("a processing instruction in a signed value", () => {
  test("signed one-record deleteMultiple, part of its signed encoded query wrapped in a PI (inclusive c14n) → 400 Malformed SOAP request, nothing deleted", async () => {
    await seed(signedGateway, ["PI-KEEP-1", "PI-KEEP-2", "PI-TARGET"]);
    const query = "numberSTARTSWITHPI-^number=PI-TARGET";
    const signed = signEnvelope(soapEnvelope("incident", "deleteMultiple", `<__encoded_query>${query}</__encoded_query>`), {
      key: partner.keyPem,
      cert: partner.certPem,
      timestampSeconds: 300,
      canonicalization: "inclusive",
    });
    // The attack: the PI's data is rendered as text by xml-crypto's inclusive c14n (same digest),
    // while the operation reader sees only `numberSTARTSWITHPI-`, which matches every record.
    const tampered = signed.replace(query, "numberSTARTSWITHPI-<?x ^number=PI-TARGET?>");
    assert.notEqual(tampered, signed);
    await assertMalformed(signedGateway, tampered);
    assert.equal(signedGateway.rows("incident").filter((row) => String(row.number).startsWith("PI-")).length, 3);

    // The untampered request is admitted and deletes exactly its one record: the refusal above is the PI's.
    const response = await postSoap(signedGateway, "incident", signed, { authorization: CALLER });
    assert.equal(response.status, 200, response.body);
    assert.equal(textOf(response.body, "count"), "1");
    assert.deepEqual(
      signedGateway.rows("incident").map((row) => row.number).filter((number) => String(number).startsWith("PI-")).sort(),
      ["PI-KEEP-1", "PI-KEEP-2"],
    );
  });

  test("a PI inside a signed Body value, exclusive c14n → 400, nothing written", async () => {
    const signed = signEnvelope(soapEnvelope("incident", "insert", "<number>PI-SIGNED</number>"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
    await assertMalformed(signedGateway, signed.replace("PI-SIGNED", "PI-<?x SIGNED?>"));
  });

  test("a PI inside the signed wsu:Timestamp → 400", async () => {
    const signed = signEnvelope(soapEnvelope("incident", "insert", "<number>PI-TS</number>"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
    await assertMalformed(signedGateway, signed.replace(/(<wsu:Created>)/, "$1<?x?>"));
  });
});

describe("a processing instruction anywhere, for every SOAP request", () => {
  const plain = soapEnvelope("incident", "insert", "<number>PI-PLAIN</number>");
  const places: readonly (readonly [string, string])[] = [
    ["in the prolog, after the XML declaration", plain.replace("?>", "?><?evil run?>")],
    ["an xml-stylesheet PI at offset 0 (a PI, not the declaration)", `<?xml-stylesheet href="x.xsl"?>${plain.replace(/^<\?xml[^>]*\?>/, "")}`],
    ["an upper-case <?XML ...?> at offset 0", plain.replace("<?xml ", "<?XML ")],
    ["an XML declaration that is not at offset 0", `\n${plain}`],
    ["a second XML declaration after the first", plain.replace("?>", '?><?xml version="1.0"?>')],
    ["inside the Envelope, before the Header", plain.replace("<soapenv:Header/>", "<?evil?><soapenv:Header/>")],
    ["inside the Header", plain.replace("<soapenv:Header/>", "<soapenv:Header><?evil?></soapenv:Header>")],
    ["inside the Body, beside the operation", plain.replace("<soapenv:Body>", "<soapenv:Body><?evil?>")],
    ["inside a value", plain.replace("PI-PLAIN", "PI-<?evil?>PLAIN")],
    ["a PI without data", plain.replace("PI-PLAIN", "PI-PLAIN<?x?>")],
    ["after the Envelope", `${plain}<?evil?>`],
  ];
  for (const [where, xml] of places) {
    test(`PI ${where}, internal integration user → 400 Malformed SOAP request, nothing written`, async () => {
      await assertMalformed(signedGateway, xml, { authorization: INTEGRATION });
    });
    test(`PI ${where}, ws_security.required: false → 400 Malformed SOAP request, nothing written`, async () => {
      await assertMalformed(openGateway, xml);
    });
  }

  test("PI in a SOAP 1.2 Body → 400 Malformed SOAP request (env:Sender), nothing written", async () => {
    const xml = soapEnvelope("incident", "insert", "<number>PI-<?evil?>12</number>", "1.2");
    await assertMalformed(openGateway, xml, { version: "1.2" });
  });

  test("a PI-like text in a comment, a CDATA section or an escaped value is not a PI: admitted", async () => {
    const xml = soapEnvelope("incident", "insert", "<!-- <?x?> --><number>PI-OK</number><short_description><![CDATA[<?x?>]]>&lt;?y?&gt;</short_description>");
    const response = await postSoap(openGateway, "incident", xml, { authorization: CALLER });
    assert.equal(response.status, 200, response.body);
    assert.equal(openGateway.rows("incident").find((row) => row.number === "PI-OK")?.short_description, "<?x?><?y?>");
  });

  test("the XML declaration at offset 0 (and after a byte order mark) is not a PI: admitted", async () => {
    for (const [number, prefix] of [["PI-DECL", Buffer.alloc(0)], ["PI-BOM", Buffer.from([0xef, 0xbb, 0xbf])]] as const) {
      const xml = Buffer.concat([prefix, Buffer.from(soapEnvelope("incident", "insert", `<number>${number}</number>`))]);
      const response = await postSoap(openGateway, "incident", xml, { authorization: CALLER });
      assert.equal(response.status, 200, response.body);
      assert.ok(openGateway.rows("incident").some((row) => row.number === number));
    }
  });
});
