/**
 * Group commit through real HTTP (SPEC §7 durability, §2 `limits`, §5 Faults):
 * a SOAP write is answered only once the WAL holding its commit is synced, a
 * read only once every commit it may have seen is; a failed sync answers 503
 * `Service temporarily unavailable` and never 200; and the requests parsed
 * but not yet answered hold at most an eighth of `max_inflight_body_bytes`
 * of bodies — the others wait, unparsed, in arrival order, and are answered
 * in turn (src/pipeline/admission.ts). A real gateway on a real SQLite file;
 * only the WAL's fdatasync is held or made to fail (test/helpers/held-sync.ts).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { basicAuth, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { HeldSync, settle, tracked } from "../helpers/held-sync.js";
import { postRequest, RawConnection, type RawResponse } from "../helpers/raw-http.js";

const HEADERS = { "Content-Type": "text/xml; charset=utf-8", Authorization: basicAuth("alice", "alice-password") };
const UNAVAILABLE = "Service temporarily unavailable";
const gateways: TestGateway[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

/** A gateway (Basic auth, no WS-Security) whose WAL syncs `sync` holds once it has started. */
async function gatewayWithHeldSync(limits = ""): Promise<{ gateway: TestGateway; sync: HeldSync }> {
  const sync = new HeldSync();
  sync.holding = false;
  const gateway = await startTestGateway({
    files: { gateway: `basic_auth:\n  required: true\nws_security:\n  required: false\n${limits}` },
    syncFile: sync.syncFile,
  });
  gateways.push(gateway);
  sync.holding = true;
  return { gateway, sync };
}

function insert(number: string, padding = 0): Buffer {
  return postRequest("/incident.do?SOAP", soapEnvelope("incident", "insert", `<number>${number}</number>${" ".repeat(padding)}`), HEADERS);
}

/** Sends `request` on a connection of its own; its response (or undefined when the connection ended first). */
async function send(gateway: TestGateway, request: Buffer): Promise<{ connection: RawConnection; response: ReturnType<typeof tracked<RawResponse | undefined>> }> {
  const connection = await RawConnection.open(gateway.url);
  connection.send(request);
  return { connection, response: tracked(connection.nextResponse()) };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(5);
  }
}

const numbers = (gateway: TestGateway) => gateway.rows("incident").map((row) => row.number);

describe("group commit over HTTP: answers wait for the sync of the commits they depend on", () => {
  test("an insert is answered 200 only after the WAL holding its commit is synced", async () => {
    const { gateway, sync } = await gatewayWithHeldSync();
    const { connection, response } = await send(gateway, insert("SYNC-1"));
    await until("the row is committed and its sync asked for", () => sync.waiting === 1 && numbers(gateway).includes("SYNC-1"));
    await settle();
    assert.equal(response.done(), false, "committed, not yet on disk: not answered");
    sync.release();
    const answered = await response.promise;
    assert.equal(answered?.status, 200, answered?.body);
    assert.equal(textOf(answered!.body, "number"), "SYNC-1");
    connection.close();
  });

  test("a getRecords that sees an insert not yet on disk is answered only after that insert's sync", async () => {
    const { gateway, sync } = await gatewayWithHeldSync();
    const write = await send(gateway, insert("SYNC-READ"));
    await until("the row is committed", () => sync.waiting === 1 && numbers(gateway).includes("SYNC-READ"));
    const read = await send(gateway, postRequest("/incident.do?SOAP", soapEnvelope("incident", "getRecords", "<number>SYNC-READ</number>"), HEADERS));
    await until("the read has been parsed", () => gateway.services.admission.parsing().requests === 2);
    await settle();
    assert.deepEqual([write.response.done(), read.response.done()], [false, false], "the read saw the unsynced row: not answered");
    sync.release();
    const [written, found] = await Promise.all([write.response.promise, read.response.promise]);
    assert.equal(written?.status, 200);
    assert.equal(found?.status, 200, found?.body);
    assert.equal(textOf(found!.body, "number"), "SYNC-READ");
    write.connection.close();
    read.connection.close();
  });

  test("a failed WAL sync → 503 Service temporarily unavailable (+Retry-After) for every request waiting on it, never 200; later requests 503 and write nothing; /readyz names the store", async () => {
    const { gateway, sync } = await gatewayWithHeldSync();
    const first = await send(gateway, insert("EIO-1"));
    await until("the first row is committed", () => sync.waiting === 1 && numbers(gateway).includes("EIO-1"));
    const second = await send(gateway, insert("EIO-2"));
    await until("the second row is committed behind the held sync", () => numbers(gateway).includes("EIO-2"));
    sync.failWith = Object.assign(new Error("input/output error"), { code: "EIO" });
    sync.release();
    for (const { response, connection } of [first, second]) {
      const answered = await response.promise;
      assert.equal(answered?.status, 503, answered?.body);
      assert.equal(textOf(answered!.body, "faultstring"), UNAVAILABLE);
      assert.match(textOf(answered!.body, "faultcode") ?? "", /:Server$/);
      assert.ok(Number(answered!.headers["retry-after"]) > 0, "Retry-After");
      connection.close();
    }
    sync.failWith = undefined;
    const later = await send(gateway, insert("EIO-3"));
    const refused = await later.response.promise;
    assert.equal(refused?.status, 503, refused?.body);
    assert.equal(textOf(refused!.body, "faultstring"), UNAVAILABLE);
    later.connection.close();
    assert.deepEqual(numbers(gateway).sort(), ["EIO-1", "EIO-2"], "the later request wrote nothing");
    assert.equal(sync.paths.length - sync.waiting, 2, "no sync after the failed one (the start's, the failed one)");
    const readyz = await fetch(`${gateway.url}/readyz`);
    assert.equal(readyz.status, 503);
    assert.match(await readyz.text(), /store/);
    const soapAudits = gateway.logLines().filter((line) => line.msg === "request" && (line.audit as { table?: string }).table === "incident");
    assert.deepEqual(soapAudits.map((line) => (line.audit as { status?: number }).status), [503, 503, 503], "no SOAP request was acknowledged");
  });
});

describe("limits: requests parsed and not yet answered hold at most max_inflight_body_bytes / 8 of bodies; the others wait, unparsed", () => {
  test("five inserts over a budget of two: two are parsed and committed, three wait unparsed in arrival order; each sync lets the next in; all five answered 200", async () => {
    // 16,000 / 8 = 2,000 bytes of parse budget; each request's body is 700-800 bytes.
    const { gateway, sync } = await gatewayWithHeldSync("limits:\n  max_inflight_body_bytes: 16000\n");
    const admission = gateway.services.admission;
    const sent: Awaited<ReturnType<typeof send>>[] = [];
    for (let n = 1; n <= 5; n++) {
      sent.push(await send(gateway, insert(`BOUND-${n}`, 500)));
      // One at a time, so that the arrival order is the order sent.
      await until(`request ${n} is parsed or waiting`, () => admission.parsing().requests + admission.parsing().waiting === n);
    }
    assert.deepEqual(admission.parsing().requests, 2);
    assert.deepEqual(admission.parsing().waiting, 3);
    assert.ok(admission.parsing().bodyBytes <= 2000, `${admission.parsing().bodyBytes} bytes parsed`);
    await until("the two parsed requests are committed", () => numbers(gateway).length === 2);
    await settle();
    assert.deepEqual(numbers(gateway).sort(), ["BOUND-1", "BOUND-2"], "the first two, and only they, were parsed and executed");
    assert.deepEqual(sent.map((request) => request.response.done()), [false, false, false, false, false]);

    let answered = 0;
    while (answered < 5) {
      await until("a sync is asked for", () => sync.waiting > 0);
      assert.ok(admission.parsing().requests <= 2, "never more than the budget parsed");
      sync.release();
      const before = answered;
      await until("the synced requests are answered", () => sent.filter((request) => request.response.done()).length > before);
      answered = sent.filter((request) => request.response.done()).length;
      // In arrival order: the answered ones are always a prefix of the requests sent.
      assert.deepEqual(sent.map((request) => request.response.done()), sent.map((_, index) => index < answered));
    }
    for (const request of sent) {
      const response = await request.response.promise;
      assert.equal(response?.status, 200, response?.body);
      request.connection.close();
    }
    assert.deepEqual(numbers(gateway).sort(), ["BOUND-1", "BOUND-2", "BOUND-3", "BOUND-4", "BOUND-5"]);
    await until("every slot is given back", () => admission.inFlight().requests === 0);
    assert.deepEqual(admission.parsing(), { requests: 0, bodyBytes: 0, waiting: 0 });
  });

  test("a request whose client closes the connection while it waits to be parsed leaves the queue, is never parsed nor executed, and the audit line says so", async () => {
    const { gateway, sync } = await gatewayWithHeldSync("limits:\n  max_inflight_body_bytes: 8000\n");
    const admission = gateway.services.admission;
    const first = await send(gateway, insert("QUEUE-1", 600));
    await until("the first is parsed and waits for its sync", () => sync.waiting === 1);
    const second = await send(gateway, insert("QUEUE-GONE", 600));
    await until("the second waits to be parsed", () => admission.parsing().waiting === 1);
    second.connection.close();
    await until("it left the queue", () => admission.parsing().waiting === 0 && admission.inFlight().requests === 1);
    sync.release();
    assert.equal((await first.response.promise)?.status, 200);
    first.connection.close();
    assert.deepEqual(numbers(gateway), ["QUEUE-1"]);
    await until("the audit line is written", () => gateway.logLines().filter((line) => line.msg === "request").length === 2);
    const gone = gateway.logLines().find((line) => line.msg === "request" && (line.audit as { reason?: string }).reason?.includes("waited to be parsed"));
    assert.ok(gone, "audit: client closed the connection while its request waited to be parsed");
    assert.deepEqual(admission.parsing(), { requests: 0, bodyBytes: 0, waiting: 0 });
  });

  test("a request larger than the whole parse budget is let in when no other request is parsed", async () => {
    const { gateway, sync } = await gatewayWithHeldSync("limits:\n  max_inflight_body_bytes: 8000\n");
    const big = await send(gateway, insert("BIG", 3000)); // 3,000+ bytes against a budget of 1,000
    await until("it is parsed and waits for its sync", () => sync.waiting === 1);
    sync.release();
    const response = await big.response.promise;
    assert.equal(response?.status, 200, response?.body);
    big.connection.close();
  });
});
