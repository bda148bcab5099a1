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
