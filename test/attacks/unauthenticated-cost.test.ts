/**
 * An unauthenticated caller never costs a body read or a parse (SPEC §5
 * "Cost", §3): Basic credentials are checked from the headers first, so a
 * request with missing or bad credentials gets 401 whatever its body — 401
 * wins over 413, 415 and 400. Before, the gateway read and parsed up to
 * max_body_bytes for anyone. Real HTTP on 127.0.0.1 (raw sockets where the
 * test must control what is sent), a real SQLite file.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";

const ALICE = basicAuth("alice", "alice-password");
const WRONG_PASSWORD = basicAuth("alice", "not-her-password");
const UNKNOWN_USER = basicAuth("mallory", "whatever");
const TEN_MB = 10 * 1024 * 1024;

let gateway: TestGateway;
before(async () => {
  gateway = await startTestGateway();
});
after(() => gateway.close());

interface RawAnswer {
  readonly statusLine: string;
  readonly headers: string;
  /** Bytes of the request body written before the answer arrived. */
  readonly bodyBytesSent: number;
}

/**
 * Sends the request line and headers (declaring a `Content-Length` body), then
 * only `sendBytes` of the body, and waits for the answer's head: an answer
 * that needs the body would never come.
 */
function sendHeadersOnly(path: string, headers: Record<string, string>, sendBytes = 0): Promise<RawAnswer> {
  const url = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = "";
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error("no answer before the body was sent: the gateway waited for it"));
    });
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.destroy();
      const [statusLine = "", ...rest] = received.slice(0, end).split("\r\n");
      resolve({ statusLine, headers: rest.join("\n"), bodyBytesSent: sendBytes });
    });
    socket.on("connect", () => {
      const head = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
      socket.write(`${head.join("\r\n")}\r\n\r\n`);
      if (sendBytes > 0) socket.write(Buffer.alloc(sendBytes, 0x3c));
    });
  });
}

function assertUnauthorized(answer: RawAnswer | { status: number; headers: Headers }): void {
  if ("statusLine" in answer) {
    assert.match(answer.statusLine, /^HTTP\/1\.1 401 /);
    assert.match(answer.headers, /^www-authenticate: Basic realm="wss-gateway"/im);
  } else {
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get("www-authenticate") ?? "", /^Basic realm="wss-gateway"/);
  }
}

describe("an unauthenticated 10 MB body is never read", () => {
  for (const [who, authorization] of [
    ["no credentials", undefined],
    ["a wrong password", WRONG_PASSWORD],
    ["an unknown user", UNKNOWN_USER],
  ] as const) {
    test(`${who}, Content-Length 10 MB (over max_body_bytes), body not sent → 401 before a byte of it`, async () => {
      const headers: Record<string, string> = { "Content-Type": "text/xml; charset=utf-8", "Content-Length": String(TEN_MB) };
      if (authorization) headers.Authorization = authorization;
      assertUnauthorized(await sendHeadersOnly("/incident.do?SOAP", headers));
    });
  }

  test("a wrong password, 64 KB of a declared 10 MB body sent → 401 without waiting for the rest", async () => {
    const headers = { "Content-Type": "text/xml; charset=utf-8", "Content-Length": String(TEN_MB), Authorization: WRONG_PASSWORD };
    assertUnauthorized(await sendHeadersOnly("/incident.do?SOAP", headers, 64 * 1024));
  });

  test("a wrong password, chunked body never ended → 401", async () => {
    const headers = { "Content-Type": "text/xml; charset=utf-8", "Transfer-Encoding": "chunked", Authorization: WRONG_PASSWORD };
    assertUnauthorized(await sendHeadersOnly("/incident.do?SOAP", headers));
  });

  test("the right password, the same declared 10 MB → 413: the limit still holds once the caller is known", async () => {
    const headers = { "Content-Type": "text/xml; charset=utf-8", "Content-Length": String(TEN_MB), Authorization: ALICE };
    const answer = await sendHeadersOnly("/incident.do?SOAP", headers);
    assert.match(answer.statusLine, /^HTTP\/1\.1 413 /);
  });

  test("a wrong password with a whole 10 MB body sent → 401, and the gateway answers the next request", async () => {
    const response = await postSoap(gateway, "incident", Buffer.alloc(TEN_MB, 0x20), { authorization: WRONG_PASSWORD });
    assertUnauthorized(response);
    const next = await postSoap(gateway, "incident", soapEnvelope("incident", "insert", "<number>AFTER-10MB</number>"), { authorization: ALICE });
    assert.equal(next.status, 200, next.body);
  });
});

describe("401 wins over 415 and 400", () => {
  const malformed = soapEnvelope("incident", "insert", "<number>BAD-XML</numbr>");
  const valid = soapEnvelope("incident", "insert", "<number>NOT-WRITTEN</number>");

  for (const [who, authorization] of [
    ["no credentials", undefined],
    ["a wrong password", WRONG_PASSWORD],
    ["an unknown user", UNKNOWN_USER],
  ] as const) {
    test(`bad XML + ${who} → 401, not 400; nothing written`, async () => {
      const before = gateway.rows("incident");
      assertUnauthorized(await postSoap(gateway, "incident", malformed, { authorization }));
      assert.deepEqual(gateway.rows("incident"), before);
    });

    test(`wrong content type (application/json) + ${who} → 401, not 415; nothing written`, async () => {
      const before = gateway.rows("incident");
      assertUnauthorized(await postSoap(gateway, "incident", valid, { authorization, contentType: "application/json" }));
      assert.deepEqual(gateway.rows("incident"), before);
    });

    test(`a DOCTYPE (billion laughs) + ${who} → 401, not 400`, async () => {
      const bomb = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>`;
      assertUnauthorized(await postSoap(gateway, "incident", bomb, { authorization }));
    });
  }

  test("the same bad XML with the right password → 400 Malformed SOAP request (the checks still run, after Basic auth)", async () => {
    const response = await postSoap(gateway, "incident", malformed, { authorization: ALICE });
    assert.equal(response.status, 400);
    assert.equal(textOf(response.body, "faultstring"), "Malformed SOAP request");
  });

  test("the same wrong content type with the right password → 415", async () => {
    const response = await postSoap(gateway, "incident", valid, { authorization: ALICE, contentType: "application/json" });
    assert.equal(response.status, 415);
  });
});
