/** SOAP intake over HTTP: both versions, envelope structure, operation selection, fault formats. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, SOAP11, SOAP12, type TestGateway } from "../helpers/gateway.js";

const ALICE = basicAuth("alice", "alice-password");

describe("SOAP envelopes", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway();
  });
  after(() => gateway.close());

  async function assertMalformed(body: string, contentType = "text/xml") {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", body, { authorization: ALICE, contentType });
    assert.equal(response.status, 400, response.body);
    assert.match(response.body, /Malformed SOAP request/);
    assert.equal(gateway.rows("incident").length, before, "nothing written");
  }

  test("SOAP 1.2 (application/soap+xml) insert is answered in SOAP 1.2", async () => {
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>S12</number>", "1.2"), {
      authorization: ALICE,
      contentType: "application/soap+xml; charset=utf-8",
    });
    assert.equal(response.status, 200, response.body);
    assert.match(response.headers.get("content-type") ?? "", /^application\/soap\+xml/);
    assert.ok(response.body.includes(SOAP12));
    assert.match(response.body, /<ns:insertResponse xmlns:ns="http:\/\/www.service-now.com\/incident"><sys_id>[0-9a-f]{32}<\/sys_id>/);
  });

  test("a SOAP 1.2 client fault uses Code/Value Sender and Reason/Text", async () => {
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<no_such_column>x</no_such_column>", "1.2"), {
      authorization: ALICE,
      contentType: "application/soap+xml",
    });
    assert.equal(response.status, 500);
    assert.match(response.body, /<soapenv:Code><soapenv:Value>soapenv:Sender<\/soapenv:Value><\/soapenv:Code>/);
    assert.match(textOf(response.body, "Text") ?? "", /no_such_column/);
  });

  test("a SOAP 1.1 client fault names the unknown column, HTTP 500", async () => {
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<no_such_column>x</no_such_column>"), { authorization: ALICE });
    assert.equal(response.status, 500);
    assert.equal(textOf(response.body, "faultcode"), "soapenv:Client");
    assert.match(textOf(response.body, "faultstring") ?? "", /no_such_column/);
  });

  test("a 1.1 envelope sent as application/soap+xml is malformed", () =>
    assertMalformed(soapEnvelope("incident", "insert", "<number>X</number>"), "application/soap+xml"));

  test("a second Body is malformed", () =>
    assertMalformed(
      `<s:Envelope xmlns:s="${SOAP11}" xmlns:t="http://www.service-now.com/incident"><s:Body><t:insert><number>A</number></t:insert></s:Body><s:Body><t:insert><number>B</number></t:insert></s:Body></s:Envelope>`,
    ));

  test("a second Header is malformed", () =>
    assertMalformed(`<s:Envelope xmlns:s="${SOAP11}"><s:Header/><s:Header/><s:Body/></s:Envelope>`));

  test("a Header after the Body is malformed", () =>
    assertMalformed(`<s:Envelope xmlns:s="${SOAP11}"><s:Body/><s:Header/></s:Envelope>`));

  test("an element after the Envelope is malformed", () =>
    assertMalformed(`${soapEnvelope("incident", "insert", "<number>X</number>")}<extra/>`));

  test("text after the Envelope is malformed", () => assertMalformed(`${soapEnvelope("incident", "insert", "<number>X</number>")}trailing`));

  test("a root that is not a SOAP Envelope is malformed", () => assertMalformed(`<Envelope><Body/></Envelope>`));

  test("a DOCTYPE (XXE) is refused before parsing", () =>
    assertMalformed(
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="${SOAP11}" xmlns:t="http://www.service-now.com/incident"><s:Body><t:insert><number>&xxe;</number></t:insert></s:Body></s:Envelope>`,
    ));

  test("invalid UTF-8 is malformed", async () => {
    const before = gateway.rows("incident").length;
    const bytes = Buffer.concat([Buffer.from(soapEnvelope("incident", "insert", "<number>").slice(0, -40)), Buffer.from([0xff, 0xfe])]);
    const response = await postSoap(gateway, "incident", bytes, { authorization: ALICE });
    assert.equal(response.status, 400);
    assert.equal(gateway.rows("incident").length, before);
  });

  test("an operation outside the table's namespace is a client fault naming the namespace", async () => {
    const body = `<s:Envelope xmlns:s="${SOAP11}"><s:Body><insert xmlns="urn:other"><number>X</number></insert></s:Body></s:Envelope>`;
    const response = await postSoap(gateway, "incident", body, { authorization: ALICE });
    assert.equal(response.status, 500);
    assert.match(textOf(response.body, "faultstring") ?? "", /namespace http:\/\/www.service-now.com\/incident/);
  });

  test("an unknown operation is a client fault naming it", async () => {
    const response = await postSoap(gateway, "incident", soapEnvelope("incident", "explode", ""), { authorization: ALICE });
    assert.equal(response.status, 500);
    assert.equal(textOf(response.body, "faultstring"), "unknown operation explode");
  });

  test("an empty Body is a client fault", async () => {
    const response = await postSoap(gateway, "incident", `<s:Envelope xmlns:s="${SOAP11}"><s:Body/></s:Envelope>`, { authorization: ALICE });
    assert.equal(response.status, 500);
    assert.match(textOf(response.body, "faultstring") ?? "", /exactly one operation element/);
  });
});
