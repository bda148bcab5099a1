/**
 * Overload (SPEC §2 `limits`): beyond `max_concurrent_requests`, or when a
 * request's declared Content-Length would take the bodies in flight past
 * `max_inflight_body_bytes`, the request gets 503 `Service temporarily
 * unavailable` with Retry-After before its body is read; the requests in
 * flight finish normally. The audit line and the metrics record exactly the
 * status the client got — also a 408 for a body that never arrives.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { basicAuth, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { value } from "../helpers/prometheus.js";
import { connect } from "node:net";
import { postRequest, RawConnection } from "../helpers/raw-http.js";

const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: basicAuth("alice", "alice-password") };
const gateways: TestGateway[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

function insert(number: string, padding = 0): Buffer {
  return postRequest("/incident.do?SOAP", soapEnvelope("incident", "insert", `<number>${number}</number>${" ".repeat(padding)}`), HEADERS);
}

/** Sends all of `request` but its last `held` bytes: the request is admitted and waits for the rest of its body. */
async function holdInFlight(gateway: TestGateway, request: Buffer, held = 10): Promise<{ connection: RawConnection; finish: () => void }> {
  const connection = await RawConnection.open(gateway.url);
  connection.send(request.subarray(0, request.length - held));
  return { connection, finish: () => connection.send(request.subarray(request.length - held)) };
}

async function untilAdmitted(gateway: TestGateway, requests: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (gateway.services.admission.inFlight().requests < requests) {
    if (Date.now() > deadline) throw new Error(`${requests} requests were not admitted`);
    await delay(10);
  }
}

function audits(gateway: TestGateway): Record<string, unknown>[] {
  return gateway.logLines().filter((line) => line.msg === "request").map((line) => line.audit as Record<string, unknown>);
}

async function metricsOf(gateway: TestGateway): Promise<string> {
  return (await fetch(`${gateway.url}/metrics`)).text();
}

describe("limits.max_concurrent_requests", () => {
  test("the third concurrent request gets 503 + Retry-After before its body is read; the two in flight finish and are stored; audit and metrics say 503", async () => {
    const gateway = await startTestGateway({ files: { gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nlimits:\n  max_concurrent_requests: 2\n" } });
    gateways.push(gateway);
    const first = await holdInFlight(gateway, insert("CONC-1"));
    const second = await holdInFlight(gateway, insert("CONC-2"));
    await untilAdmitted(gateway, 2);

    const third = await RawConnection.open(gateway.url);
    const request = insert("CONC-3");
    third.send(request.subarray(0, request.indexOf("\r\n\r\n") + 4)); // headers only: the body is never sent
    const refused = await third.nextResponse();
    assert.equal(refused?.status, 503, refused?.body);
    assert.equal(textOf(refused!.body, "faultstring"), "Service temporarily unavailable");
    assert.ok(Number(refused!.headers["retry-after"]) > 0, "Retry-After");

    first.finish();
    second.finish();
    assert.equal((await first.connection.nextResponse())?.status, 200);
    assert.equal((await second.connection.nextResponse())?.status, 200);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number).sort(), ["CONC-1", "CONC-2"]);

    const refusedAudit = audits(gateway).find((audit) => audit.status === 503);
    assert.equal(refusedAudit?.fault, "unavailable");
    assert.equal(refusedAudit?.reason, "over limits.max_concurrent_requests");
    const text = await metricsOf(gateway);
    assert.equal(value(text, "wss_gateway_admission_refused_total", { limit: "concurrent_requests" }), 1);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "fault", fault: "unavailable", status: "503" }), 1);
    for (const connection of [first.connection, second.connection, third]) connection.close();
  });
});

describe("limits.max_inflight_body_bytes", () => {
  test("a request whose Content-Length would pass the bytes in flight gets 503 before its body is read; a smaller one is admitted", async () => {
    const gateway = await startTestGateway({ files: { gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nlimits:\n  max_inflight_body_bytes: 2000\n" } });
    gateways.push(gateway);
    const big = insert("BYTES-BIG", 1200);
    const held = await holdInFlight(gateway, big);
    await untilAdmitted(gateway, 1);
    const heldBytes = gateway.services.admission.inFlight().bodyBytes;
    assert.ok(heldBytes > 1200 && heldBytes < 2000, `${heldBytes} bytes counted`);

    const tooMuch = await RawConnection.open(gateway.url);
    const request = insert("BYTES-TOO-MUCH", 2000 - heldBytes);
    tooMuch.send(request.subarray(0, request.indexOf("\r\n\r\n") + 4));
    const refused = await tooMuch.nextResponse();
    assert.equal(refused?.status, 503, refused?.body);
    assert.equal(textOf(refused!.body, "faultstring"), "Service temporarily unavailable");

    const small = await RawConnection.open(gateway.url);
    small.send(insert("BYTES-SMALL"));
    assert.equal((await small.nextResponse())?.status, 200);
    held.finish();
    assert.equal((await held.connection.nextResponse())?.status, 200);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number).sort(), ["BYTES-BIG", "BYTES-SMALL"]);
    assert.equal(value(await metricsOf(gateway), "wss_gateway_admission_refused_total", { limit: "inflight_body_bytes" }), 1);
    assert.deepEqual(gateway.services.admission.inFlight(), { requests: 0, bodyBytes: 0 }, "every slot is given back");
    for (const connection of [held.connection, tooMuch, small]) connection.close();
  });
});

/** A chunked POST (Transfer-Encoding: chunked, no Content-Length): its head, and `body` as one chunk plus the last chunk. */
function chunkedInsert(number: string, padding = 0): { head: Buffer; chunk: (bytes: Buffer) => Buffer; body: Buffer; end: Buffer } {
  const head = Buffer.from(
    [
      "POST /incident.do?SOAP HTTP/1.1",
      "Host: 127.0.0.1",
      "Transfer-Encoding: chunked",
      ...Object.entries(HEADERS).map(([name, header]) => `${name}: ${header}`),
    ].join("\r\n") + "\r\n\r\n",
  );
  const chunk = (bytes: Buffer) => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
  return { head, chunk, body: Buffer.from(soapEnvelope("incident", "insert", `<number>${number}</number>${" ".repeat(padding)}`)), end: Buffer.from("0\r\n\r\n") };
}

describe("limits.max_inflight_body_bytes, chunked bodies (no Content-Length)", () => {
  test("a chunked body within the limit is counted as it is read and executed; its bytes are given back", async () => {
    const gateway = await startTestGateway({ files: { gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nlimits:\n  max_inflight_body_bytes: 2000\n" } });
    gateways.push(gateway);
    const request = chunkedInsert("CHUNKED-OK");
    const connection = await RawConnection.open(gateway.url);
    // Head and first half together, then the rest: the first bytes arrive before the body is read, and are kept.
    const half = Math.floor(request.body.length / 2);
    connection.send(Buffer.concat([request.head, request.chunk(request.body.subarray(0, half))]));
    await untilAdmitted(gateway, 1);
    connection.send(Buffer.concat([request.chunk(request.body.subarray(half)), request.end]));
    const response = await connection.nextResponse();
    assert.equal(response?.status, 200, response?.body);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["CHUNKED-OK"]);
    connection.close();
    await untilReleased(gateway);
  });

  test("a chunked request whose bytes read take the bytes in flight past the limit gets 503 + Retry-After, is not executed, and every byte is given back", async () => {
    const gateway = await startTestGateway({ files: { gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nlimits:\n  max_inflight_body_bytes: 2000\n" } });
    gateways.push(gateway);
    const held = await holdInFlight(gateway, insert("CHUNK-HELD", 1200));
    await untilAdmitted(gateway, 1);
    const heldBytes = gateway.services.admission.inFlight().bodyBytes;
    assert.ok(heldBytes > 1200 && heldBytes < 2000, `${heldBytes} bytes counted`);

    // A complete, valid chunked insert whose one chunk passes the limit: without the limit it would be stored.
    const request = chunkedInsert("CHUNK-OVER", 2000 - heldBytes);
    assert.ok(heldBytes + request.body.length > 2000);
    const chunked = await RawConnection.open(gateway.url);
    chunked.send(Buffer.concat([request.head, request.chunk(request.body), request.end]));
    const refused = await chunked.nextResponse();
    assert.equal(refused?.status, 503, refused?.body);
    assert.equal(textOf(refused!.body, "faultstring"), "Service temporarily unavailable");
    assert.equal(textOf(refused!.body, "faultcode"), "soapenv:Server");
    assert.ok(Number(refused!.headers["retry-after"]) > 0, "Retry-After");
    assert.equal(refused!.headers.connection, "close", "the rest of the body is not read: the connection closes");

    held.finish();
    assert.equal((await held.connection.nextResponse())?.status, 200);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["CHUNK-HELD"], "the refused chunked insert was not executed");

    const refusedAudit = audits(gateway).find((audit) => audit.status === 503);
    assert.equal(refusedAudit?.fault, "unavailable");
    assert.equal(refusedAudit?.reason, "over limits.max_inflight_body_bytes while the body was read");
    await untilReleased(gateway);
    const text = await metricsOf(gateway);
    assert.equal(value(text, "wss_gateway_admission_refused_total", { limit: "inflight_body_bytes" }), 1);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "fault", fault: "unavailable", status: "503" }), 1);
    assert.equal(value(text, "wss_gateway_inflight_body_bytes"), 0);
    for (const connection of [held.connection, chunked]) connection.close();
  });
});

/** Waits until every admission slot is given back (a slot is released when its response or connection closes). */
async function untilReleased(gateway: TestGateway): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (gateway.services.admission.inFlight().requests > 0 || gateway.services.admission.inFlight().bodyBytes !== 0) {
    if (Date.now() > deadline) throw new Error(`slots not given back: ${JSON.stringify(gateway.services.admission.inFlight())}`);
    await delay(10);
  }
}

describe("a body that never arrives", () => {
  test("is answered 408 with Connection: close by the pipeline, and the audit line and metrics record 408 (not 400)", async () => {
    const gateway = await startTestGateway({ bodyReadTimeoutMs: 300 });
    gateways.push(gateway);
    const stalled = await holdInFlight(gateway, insert("NEVER"));
    const response = await stalled.connection.nextResponse();
    assert.equal(response?.status, 408, response?.body);
    assert.equal(response?.headers.connection, "close");
    assert.equal(audits(gateway).at(-1)?.status, 408);
    const text = await metricsOf(gateway);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "http-error", fault: "", status: "408" }), 1);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "http-error", fault: "", status: "400" }), 0);
    assert.deepEqual(gateway.rows("incident"), []);
    stalled.connection.close();
  });
});

/** Sends `bytes` on a raw net.Socket, then destroys it without reading an answer. */
async function sendAndDestroy(gateway: TestGateway, bytes: Buffer): Promise<void> {
  const target = new URL(gateway.url);
  const socket = connect({ host: target.hostname, port: Number(target.port) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  await new Promise<void>((resolve) => socket.write(bytes, () => resolve()));
  await untilAdmitted(gateway, 1); // the gateway has the request and is reading its body
  socket.destroy();
}

async function untilAuditLines(gateway: TestGateway, count: number): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 10_000;
  while (audits(gateway).length < count) {
    if (Date.now() > deadline) throw new Error(`${count} audit lines were not written`);
    await delay(10);
  }
  return audits(gateway);
}

describe("a client that closes the connection before its body has arrived", () => {
  const cases = [
    { name: "headers only", bytes: (request: Buffer) => request.subarray(0, request.indexOf("\r\n\r\n") + 4), chunked: false },
    { name: "headers and half the body", bytes: (request: Buffer) => request.subarray(0, request.indexOf("\r\n\r\n") + 4 + 100), chunked: false },
    { name: "a chunked body cut inside a chunk", bytes: () => { const c = chunkedInsert("CLOSED"); return Buffer.concat([c.head, c.chunk(c.body).subarray(0, 120)]); }, chunked: true },
  ];
  for (const { name, bytes } of cases) {
    test(`${name}: the audit line and the metrics record client-closed with no status (nothing was sent), not 400; nothing written; the slot is given back`, async () => {
      const gateway = await startTestGateway();
      gateways.push(gateway);
      await sendAndDestroy(gateway, bytes(insert("CLOSED", 500)));
      const [audit] = await untilAuditLines(gateway, 1);
      assert.equal(audit?.outcome, "client-closed", String(audit?.reason));
      assert.equal("status" in audit!, false, "no status: the client was sent nothing");
      assert.match(String(audit?.reason), /^client closed the connection after \d+ bytes of its body$/);
      await untilReleased(gateway);
      const text = await metricsOf(gateway);
      assert.equal(value(text, "wss_gateway_requests_total", { outcome: "client-closed", fault: "", status: "" }), 1);
      assert.equal(value(text, "wss_gateway_requests_total", { outcome: "http-error", fault: "", status: "400" }), 0);
      assert.equal(value(text, "wss_gateway_inflight_requests"), 0);
      assert.deepEqual(gateway.rows("incident"), []);
    });
  }
});

describe("a chunked body whose framing Node's HTTP parser refuses", () => {
  test("the client gets Node's own 400 and the connection closes; the audit line and the metrics record that 400 (not client-closed); nothing written", async () => {
    const gateway = await startTestGateway();
    gateways.push(gateway);
    const request = chunkedInsert("BAD-FRAMING");
    const connection = await RawConnection.open(gateway.url);
    connection.send(Buffer.concat([request.head, request.chunk(request.body.subarray(0, 50)), Buffer.from("not-a-chunk-size\r\n")]));
    const response = await connection.nextResponse();
    assert.equal(response?.status, 400);
    assert.equal(response?.headers.connection, "close");
    const [audit] = await untilAuditLines(gateway, 1);
    assert.equal(audit?.outcome, "http-error");
    assert.equal(audit?.status, 400);
    assert.equal(audit?.reason, "malformed HTTP body (HPE_INVALID_CHUNK_SIZE): Node's HTTP parser answered 400, connection closed");
    await untilReleased(gateway);
    const text = await metricsOf(gateway);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "http-error", fault: "", status: "400" }), 1);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "client-closed", fault: "", status: "" }), 0);
    assert.deepEqual(gateway.rows("incident"), []);
    connection.close();
  });
});

describe("limits.max_body_bytes, chunked bodies (no Content-Length)", () => {
  test("a chunked body that passes max_body_bytes as it streams gets 413 with Connection: close (the rest is not waited for); nothing written; recorded as 413", async () => {
    const gateway = await startTestGateway({ files: { gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nlimits:\n  max_body_bytes: 1000\n" } });
    gateways.push(gateway);
    const request = chunkedInsert("TOO-BIG", 2000);
    const connection = await RawConnection.open(gateway.url);
    connection.send(Buffer.concat([request.head, request.chunk(request.body)])); // no last chunk: the client would go on
    const response = await connection.nextResponse();
    assert.equal(response?.status, 413, response?.body);
    assert.equal(response?.body, "body over 1000 bytes\n");
    assert.equal(response?.headers.connection, "close");
    const [audit] = await untilAuditLines(gateway, 1);
    assert.equal(audit?.status, 413);
    assert.equal(audit?.outcome, "http-error");
    await untilReleased(gateway);
    assert.deepEqual(gateway.rows("incident"), []);
    connection.close();
  });
});
