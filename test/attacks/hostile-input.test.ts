/**
 * Hostile input that is not a bomb: truncated and malformed XML, bodies that
 * are not XML or not SOAP, wrong encodings, processing instructions, CDATA
 * and comment tricks, and SQL injection in values and queries. Over real
 * HTTP with a real SQLite file. Each is refused with the right answer (400
 * `Malformed SOAP request`, 415, a Client fault naming the problem) and
 * writes nothing; what XML allows is stored literally, never executed.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";

const ALICE = basicAuth("alice", "alice-password");
const insert = (children: string) => soapEnvelope("incident", "insert", children);
const VALID_INSERT = insert("<number>VALID</number><short_description>fine</short_description>");

let gateway: TestGateway;
let requestNumber = 0;
before(async () => {
  gateway = await startTestGateway();
});
after(() => gateway.close());

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly fault: string | undefined;
  readonly reason: string | undefined;
}

async function post(body: string | Buffer, contentType?: string): Promise<Answer> {
  const requestId = `hostile-${requestNumber++}`;
  const response = await postSoap(gateway, "incident", body, { authorization: ALICE, contentType, headers: { "X-Request-Id": requestId } });
  const audit = gateway.logLines().find((line) => (line.audit as { requestId?: string } | undefined)?.requestId === requestId)?.audit as
    | { reason?: string }
    | undefined;
  return { status: response.status, body: response.body, fault: textOf(response.body, "faultstring"), reason: audit?.reason };
}

/** Asserts 400 `Malformed SOAP request` (Client) with nothing written; returns the audit reason. */
async function assertMalformed(body: string | Buffer, contentType?: string): Promise<string | undefined> {
  const rowsBefore = gateway.rows("incident").length;
  const answer = await post(body, contentType);
  assert.equal(answer.status, 400, answer.body);
  assert.equal(textOf(answer.body, "faultcode"), contentType?.startsWith("application/soap+xml") ? undefined : "soapenv:Client");
  assert.equal(answer.fault, "Malformed SOAP request");
  assert.equal(gateway.rows("incident").length, rowsBefore, "nothing written");
  return answer.reason;
}

async function assertClientFault(body: string, fault: string): Promise<void> {
  const rowsBefore = gateway.rows("incident").length;
  const answer = await post(body);
  assert.equal(answer.status, 500, answer.body);
  assert.equal(textOf(answer.body, "faultcode"), "soapenv:Client");
  assert.equal(answer.fault, fault);
  assert.equal(gateway.rows("incident").length, rowsBefore, "nothing written");
}

async function insertedValue(body: string | Buffer, column: string): Promise<unknown> {
  const answer = await post(body);
  assert.equal(answer.status, 200, answer.body);
  const sysId = textOf(answer.body, "sys_id");
  return gateway.rows("incident").find((row) => row.sys_id === sysId)?.[column];
}

describe("truncated envelopes", () => {
  test("a signed insert cut at 60 points from its first byte to its last → each 400 Malformed SOAP request, nothing written", async () => {
    const partner = makeCertificate(mkdtempSync(join(tmpdir(), "wss-hostile-")), "partner", { key: "rsa2048" });
    const signed = signEnvelope(VALID_INSERT, { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });
    const cutPoints = new Set([0, 1, 5, 38, signed.length - 1, signed.length - 2, signed.length - 10]);
    for (let i = 1; cutPoints.size < 60; i++) cutPoints.add(Math.floor((signed.length * i) / 54));
    for (const cut of [...cutPoints].sort((a, b) => a - b)) {
      await assert.doesNotReject(assertMalformed(signed.slice(0, cut)), `cut at ${cut} of ${signed.length}`);
    }
  });
});

describe("malformed XML → 400 Malformed SOAP request", () => {
  const cases: readonly (readonly [string, string, string])[] = [
    ["mismatched end tag", insert("<number>X</numbr>"), `not well-formed XML: Opening and ending tag mismatch: "number" != "numbr"`],
    ["unquoted attribute value", insert(`<number a=1>X</number>`), `not well-formed XML: attribute "1" missed quot(")!`],
    ["duplicate attribute", insert(`<number a="1" a="2">X</number>`), "not well-formed XML: Attribute a redefined"],
    ["'<' in text", insert("<number>a < b</number>"), "malformed start tag"],
    ["'<' in an attribute value", insert(`<number a="<">X</number>`), "'<' inside an attribute value"],
    ["'--' inside a comment", insert("<!-- a -- b --><number>X</number>"), "not well-formed XML: comment is not well-formed at position 205"],
    ["unterminated comment", insert("<!-- never closed"), "unterminated comment"],
    ["unterminated CDATA", insert("<number><![CDATA[never closed</number>"), "unterminated CDATA section"],
    ["two root elements", VALID_INSERT + VALID_INSERT.replace(/^<\?xml[^>]*>/, ""), "not well-formed XML: Error constructing the DOM: HierarchyRequestError: Only one element can be added and only after doctype"],
    ["an end tag before the root", `</x>${VALID_INSERT}`, "end tag without a start tag"],
    ["an undeclared namespace prefix", insert("<x:number>X</x:number>"), "not well-formed XML: Error constructing the DOM: NamespaceError: prefix is non-null and namespace is null"],
    ["an XML declaration not at the start", ` ${VALID_INSERT}`, "processing instruction (SOAP forbids them)"],
    ["a NUL character reference", insert("<number>&#0;</number>"), "character reference &#0; is not an XML character"],
    ["a reference beyond U+10FFFF", insert("<number>&#x110000;</number>"), "character reference &#x110000; is not an XML character"],
    ["a raw control character", insert("<number>a\u0001b</number>"), "character U+0001 is not allowed in XML"],
    ["a raw NUL", insert("<number>a\u0000b</number>"), "character U+0000 is not allowed in XML"],
  ];
  for (const [name, body, reason] of cases) {
    test(`${name} → 400`, async () => {
      assert.equal(await assertMalformed(body), reason);
    });
  }
});

describe("bodies that are not XML or not SOAP", () => {
  test("JSON sent as text/xml → 400", async () => {
    assert.equal(await assertMalformed(`{"number":"INC1","short_description":"json"}`), "not well-formed XML: missing root element");
  });

  test("JSON sent as application/json → 415 unsupported Content-Type, nothing written", async () => {
    const answer = await post(`{"number":"INC1"}`, "application/json");
    assert.deepEqual([answer.status, answer.body], [415, "unsupported Content-Type application/json\n"]);
    assert.deepEqual(gateway.rows("incident").filter((row) => row.number === "INC1"), []);
  });

  test("HTML sent as text/html → 415", async () => {
    const answer = await post("<html><body>hi</body></html>", "text/html");
    assert.deepEqual([answer.status, answer.body], [415, "unsupported Content-Type text/html\n"]);
  });

  test("HTML with a doctype sent as text/xml → 400", async () => {
    assert.equal(await assertMalformed("<!DOCTYPE html><html><body>hi</body></html>"), "DOCTYPE or entity declaration");
  });

  test("HTML without a doctype sent as text/xml → 400 (not a SOAP Envelope)", async () => {
    assert.equal(await assertMalformed("<html><body>hi</body></html>"), "root element is not a SOAP Envelope");
  });

  test("an empty body → 400", async () => {
    assert.equal(await assertMalformed(""), "not well-formed XML: missing root element");
  });

  test("a body of whitespace → 400", async () => {
    assert.equal(await assertMalformed("  \r\n\t "), "not well-formed XML: missing root element");
  });

  test("XML that is not SOAP (an Envelope in no SOAP namespace) → 400", async () => {
    assert.equal(await assertMalformed("<Envelope><Body><insert/></Body></Envelope>"), "Envelope is not in a SOAP 1.1 or 1.2 namespace");
  });

  test("a SOAP 1.2 envelope sent as text/xml (SOAP 1.1) → 400", async () => {
    assert.equal(await assertMalformed(soapEnvelope("incident", "insert", "<number>X</number>", "1.2")), "SOAP 1.2 envelope sent as SOAP 1.1 content type");
  });
});

describe("wrong encodings", () => {
  test("UTF-16 with a byte-order mark → 400 (only UTF-8 is read)", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(VALID_INSERT.replace("UTF-8", "UTF-16"), "utf16le")]);
    assert.equal(await assertMalformed(utf16), "body is not valid UTF-8");
  });

  test("UTF-16 without a byte-order mark → 400", async () => {
    assert.equal(await assertMalformed(Buffer.from(VALID_INSERT, "utf16le")), "character U+0000 is not allowed in XML");
  });

  test("ISO-8859-1 declared in the XML declaration → 400", async () => {
    assert.equal(await assertMalformed(VALID_INSERT.replace(`encoding="UTF-8"`, `encoding="ISO-8859-1"`)), "unsupported XML encoding ISO-8859-1");
  });

  test("ISO-8859-1 declared in the Content-Type → 415", async () => {
    const answer = await post(VALID_INSERT, "text/xml; charset=iso-8859-1");
    assert.deepEqual([answer.status, answer.body], [415, "unsupported charset iso-8859-1\n"]);
  });

  for (const [name, bytes] of [
    ["a lone continuation byte", [0x80]],
    ["a truncated two-byte sequence", [0xc3]],
    ["an overlong encoding of '/'", [0xc0, 0xaf]],
    ["an encoded UTF-16 surrogate", [0xed, 0xa0, 0x80]],
    ["a code point beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
  ] as const) {
    test(`invalid UTF-8 (${name}) in a value → 400`, async () => {
      const [head, tail] = insert("<number>#</number>").split("#") as [string, string];
      assert.equal(await assertMalformed(Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)])), "body is not valid UTF-8");
    });
  }

  test("UTF-8 with a byte-order mark is accepted (the positive control)", async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(insert("<number>BOM-1</number>"))]);
    assert.equal(await insertedValue(body, "number"), "BOM-1");
  });
});

describe("processing instructions, CDATA and comments", () => {
  test("a processing instruction inside the Envelope → 400", async () => {
    const body = VALID_INSERT.replace("<soapenv:Header/>", "<?evil run?><soapenv:Header/>");
    assert.equal(await assertMalformed(body), "processing instruction (SOAP forbids them)");
  });

  test("an unterminated processing instruction → 400", async () => {
    assert.equal(await assertMalformed(insert("<number>X</number><?evil")), "unterminated processing instruction");
  });

  test("a processing instruction inside a value → 400, never run nor dropped", async () => {
    assert.equal(await assertMalformed(insert("<number>PI<?php system('id'); ?>-1</number>")), "processing instruction (SOAP forbids them)");
  });

  test("CDATA holding markup is stored as text, not parsed as elements", async () => {
    assert.equal(await insertedValue(insert("<short_description><![CDATA[</short_description><priority>1]]></short_description>"), "short_description"), "</short_description><priority>1");
  });

  test("CDATA holding a DOCTYPE and an entity is stored literally, never expanded", async () => {
    const text = `<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]>&a;`;
    assert.equal(await insertedValue(insert(`<short_description><![CDATA[${text}]]></short_description>`), "short_description"), text);
  });

  test("']]>' split across two CDATA sections is stored as ']]>'", async () => {
    assert.equal(await insertedValue(insert("<number><![CDATA[CD]]]]><![CDATA[>1]]></number>"), "number"), "CD]]>1");
  });

  test("non-whitespace CDATA directly inside the Envelope → 400", async () => {
    const body = VALID_INSERT.replace("<soapenv:Header/>", "<![CDATA[smuggled]]><soapenv:Header/>");
    assert.equal(await assertMalformed(body), "text directly inside the Envelope");
  });

  test("a comment splitting a value is dropped: the value is the text around it", async () => {
    assert.equal(await insertedValue(insert("<number>COM<!-- </number><priority>1</priority> -->-1</number>"), "number"), "COM-1");
  });

  test("an XInclude in a value is not processed → Client fault, /etc/passwd never read", async () => {
    const body = insert(`<number><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/></number>`);
    await assertClientFault(body, "Field 'number' must contain text only");
  });
});

describe("SQL injection: values are bound parameters, names are checked against the table", () => {
  const SQL_IN_VALUE = `Robert'); DROP TABLE "incident";--`;

  before(async () => {
    for (const number of ["SQL-A", "SQL-B"]) assert.equal((await post(insert(`<number>${number}</number>`))).status, 200);
  });

  function assertTableIntact(): void {
    const numbers = gateway.rows("incident").map((row) => row.number);
    assert.ok(numbers.includes("SQL-A") && numbers.includes("SQL-B"), "the table exists and earlier rows are intact");
  }

  test("an injection string in an inserted value is stored literally; the table and other rows are intact", async () => {
    assert.equal(await insertedValue(insert(`<number>x' OR '1'='1</number><short_description>${SQL_IN_VALUE}</short_description>`), "short_description"), SQL_IN_VALUE);
    assertTableIntact();
  });

  test("an injection string as an equality filter matches nothing (it is a value, not SQL)", async () => {
    const answer = await post(soapEnvelope("incident", "getKeys", `<number>' OR '1'='1</number>`));
    assert.equal(textOf(answer.body, "count"), "0");
  });

  test("an injection string as an encoded-query value matches nothing", async () => {
    const answer = await post(soapEnvelope("incident", "getKeys", `<__encoded_query>number=SQL-A' OR '1'='1</__encoded_query>`));
    assert.equal(textOf(answer.body, "count"), "0");
  });

  test("an injection string in an IN list matches nothing", async () => {
    const answer = await post(soapEnvelope("incident", "getKeys", `<__encoded_query>numberIN') OR 1=1 --</__encoded_query>`));
    assert.equal(textOf(answer.body, "count"), "0");
  });

  test("LIKE wildcards in a value are literal: LIKE% matches only values containing '%'", async () => {
    assert.equal((await post(insert("<number>PCT</number><short_description>100% sure</short_description>"))).status, 200);
    const answer = await post(soapEnvelope("incident", "getRecords", `<__encoded_query>short_descriptionLIKE%</__encoded_query>`));
    assert.deepEqual([...answer.body.matchAll(/<number>([^<]*)<\/number>/g)].map((match) => match[1]), ["PCT"]);
  });

  test("deleteMultiple with an injection value deletes only the row holding that very string", async () => {
    const answer = await post(soapEnvelope("incident", "deleteMultiple", `<__encoded_query>number=x' OR '1'='1</__encoded_query>`));
    assert.equal(textOf(answer.body, "count"), "1");
    assert.deepEqual(gateway.rows("incident").filter((row) => row.number === "x' OR '1'='1"), []);
    assertTableIntact();
  });

  const refusedNames: readonly (readonly [name: string, operation: string, children: string, fault: string])[] = [
    ["an encoded-query field with SQL after it", "getRecords", `<__encoded_query>number;DROP TABLE incident--=1</__encoded_query>`, "Unknown operator ';' after field 'number' in encoded query"],
    ["an ORDERBY field with SQL", "getRecords", `<__encoded_query>ORDERBYnumber;DROP TABLE incident</__encoded_query>`, "Unknown field 'number;DROP TABLE incident' in encoded query"],
    ["__order_by with SQL", "getRecords", `<__order_by>number desc; DROP TABLE incident</__order_by>`, "Unknown field 'number desc; DROP TABLE incident' in __order_by"],
    ["__limit with SQL", "getRecords", `<__limit>1;DELETE FROM incident</__limit>`, "Invalid __limit '1;DELETE FROM incident': expected a whole number"],
    ["GROUP_BY with SQL", "aggregate", `<COUNT>number</COUNT><GROUP_BY>number) FROM incident; --</GROUP_BY>`, "Unknown field 'number) FROM incident; --' in GROUP_BY"],
    ["an integer value with SQL", "insert", `<priority>1 OR 1=1</priority>`, "Invalid integer value for field 'priority': '1 OR 1=1'"],
    ["a sys_id with SQL", "deleteRecord", `<sys_id>' OR '1'='1</sys_id>`, "Invalid sys_id '' OR '1'='1': expected 32 lowercase hexadecimal characters"],
  ];
  for (const [name, operation, children, fault] of refusedNames) {
    test(`${name} → Client fault naming it, nothing executed`, async () => {
      await assertClientFault(soapEnvelope("incident", operation, children), fault);
      assertTableIntact();
    });
  }
});
