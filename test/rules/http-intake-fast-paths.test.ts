/**
 * The per-request shortcuts of the HTTP path give exactly the answers of
 * the general code they skip: the common SOAP Content-Types, an IPv4 peer
 * address, the audit line's timestamp, and a SOAP answer written without
 * Koa's setters (same status line, headers and body, over real HTTP on
 * 127.0.0.1).
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, describe, test } from "node:test";
import { pino } from "pino";
import { soapVersionOfContentType } from "../../src/pipeline/read-body.js";
import { normalizeAddress } from "../../src/config/cidr.js";
import { isoTime } from "../../src/observability/logger.js";
import { basicAuth, soapEnvelope, startTestGateway, type TestGateway } from "../helpers/gateway.js";

const gateways: TestGateway[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

/** Sends `text` on one connection in one write and returns everything the gateway answers until it closes. */
function exchangeOn(gateway: TestGateway, text: string | Buffer): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(gateway.url).port), "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("shortcuts answer as the general code", () => {
  test("each common SOAP Content-Type → the version its parse gives (the same text with a trailing space is parsed)", () => {
    for (const header of ["text/xml; charset=utf-8", "text/xml;charset=utf-8", "text/xml; charset=UTF-8", "text/xml", "application/soap+xml; charset=utf-8", "application/soap+xml;charset=utf-8", "application/soap+xml; charset=UTF-8", "application/soap+xml"]) {
      assert.deepEqual(soapVersionOfContentType(header), soapVersionOfContentType(`${header} `), header);
      assert.equal(soapVersionOfContentType(header).kind, "soap");
    }
    assert.deepEqual(soapVersionOfContentType("text/xml; charset=iso-8859-1"), { kind: "unsupported", reason: "unsupported charset iso-8859-1" });
  });

  test("peer addresses: IPv4 unchanged, IPv4-mapped IPv6 unwrapped, an IPv6 zone stripped", () => {
    assert.equal(normalizeAddress("127.0.0.1"), "127.0.0.1");
    assert.equal(normalizeAddress("::ffff:10.1.2.3"), "10.1.2.3");
    assert.equal(normalizeAddress("fe80::1%eth0"), "fe80::1");
    assert.equal(normalizeAddress("::1"), "::1");
  });

  test("the log timestamp is pino's isoTime text (formatted once per millisecond)", () => {
    for (let i = 0; i < 2000; i++) {
      const before = isoTime();
      const reference = pino.stdTimeFunctions.isoTime();
      const afterwards = isoTime();
      assert.ok(reference === before || reference === afterwards, `${reference} is neither ${before} nor ${afterwards}`);
    }
  });

  test("a SOAP answer (200 and a fault) over HTTP: status line, Content-Type, Content-Length = body bytes, X-Request-Id echoed; HEAD of the endpoint → 405", async () => {
    const gateway = await startTestGateway();
    gateways.push(gateway);
    const port = Number(new URL(gateway.url).port);
    const exchange = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => socket.write(text));
        let answer = "";
        socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
        socket.on("close", () => resolve(answer));
        socket.on("error", reject);
      });
    const post = (body: string) =>
      exchange(`POST /incident.do?SOAP HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth("alice", "alice-password")}\r\nContent-Type: text/xml; charset=utf-8\r\nX-Request-Id: fast-path-1\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    for (const [body, statusLine, faultstring] of [
      [soapEnvelope("incident", "insert", "<number>FAST-1</number><short_description>café</short_description>"), "HTTP/1.1 200 OK", undefined],
      [soapEnvelope("incident", "frobnicate", ""), "HTTP/1.1 500 Internal Server Error", "unknown operation frobnicate"],
    ] as const) {
      const answer = await post(body);
      const [head, payload] = answer.split("\r\n\r\n") as [string, string];
      const lines = head.split("\r\n");
      assert.equal(lines[0], statusLine);
      const headers = new Map(lines.slice(1).map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 2)]));
      assert.equal(headers.get("content-type"), "text/xml; charset=utf-8");
      assert.equal(Number(headers.get("content-length")), Buffer.byteLength(payload, "latin1"));
      assert.equal(headers.get("x-request-id"), "fast-path-1");
      if (faultstring) assert.ok(payload.includes(`<faultstring>${faultstring}</faultstring>`), payload);
      else assert.ok(Buffer.from(payload, "latin1").toString("utf8").includes("<short_description>café</short_description>"), payload);
    }
    const head = await exchange(`HEAD /incident.do?SOAP HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth("alice", "alice-password")}\r\nConnection: close\r\n\r\n`);
    assert.match(head, /^HTTP\/1\.1 405 /);
  });

  test("bodies that arrived whole with their headers (four pipelined requests in one write, 0.3 / 5 / 30 / 420 KB: beyond the stream's high-water mark too) are each read exactly: every insert stores and echoes its own values", async () => {
    const gateway = await startTestGateway({ files: { tables: "tables:\n  - name: incident\n    columns:\n      number: {type: string, max_length: 40}\n      short_description: {type: string, max_length: 200000}\n" } });
    gateways.push(gateway);
    const texts = ["a", "é".repeat(2_500), "y".repeat(30_000), "z<&>".repeat(30_000).replace(/[<&>]/g, (c) => ({ "<": "&lt;", "&": "&amp;", ">": "&gt;" })[c]!)];
    const request = (index: number, last: boolean) => {
      const body = Buffer.from(soapEnvelope("incident", "insert", `<number>WHOLE-${index}</number><short_description>${texts[index]}</short_description>`), "utf8");
      const head = `POST /incident.do?SOAP HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth("alice", "alice-password")}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: ${body.length}\r\n${last ? "Connection: close\r\n" : ""}\r\n`;
      return Buffer.concat([Buffer.from(head, "latin1"), body]);
    };
    const answer = await exchangeOn(gateway, Buffer.concat([request(0, false), request(1, false), request(2, false), request(3, true)]));
    assert.equal(answer.match(/HTTP\/1\.1 200 OK/g)?.length, 4, answer.slice(0, 600));
    const rows = gateway.rows("incident").sort((x, y) => String(x.number).localeCompare(String(y.number)));
    assert.deepEqual(rows.map((row) => row.number), ["WHOLE-0", "WHOLE-1", "WHOLE-2", "WHOLE-3"]);
    assert.deepEqual(rows.map((row) => row.short_description), ["a", "é".repeat(2_500), "y".repeat(30_000), "z<&>".repeat(30_000)]);
  });

  test("a declared body cut short by the client (Content-Length 500, 100 bytes sent, then the connection closed) is not taken as whole: not answered 200, nothing stored", async () => {
    const gateway = await startTestGateway();
    gateways.push(gateway);
    const body = soapEnvelope("incident", "insert", "<number>CUT-1</number>").slice(0, 100);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(gateway.url).port), "127.0.0.1", () => {
        socket.write(`POST /incident.do?SOAP HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth("alice", "alice-password")}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: 500\r\n\r\n${body}`);
        setTimeout(() => socket.end(), 200);
      });
      let text = "";
      socket.on("data", (chunk) => (text += chunk));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    assert.doesNotMatch(answer, /^HTTP\/1\.1 200/);
    assert.deepEqual(gateway.rows("incident"), []);
  });
});
