/**
 * SPEC §3 HTTP-level answers, over real HTTP on 127.0.0.1 with a real SQLite
 * file: each refusal shows its status and that nothing was written.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";

const ALICE = basicAuth("alice", "alice-password");
const INSERT = soapEnvelope("incident", "insert", "<number>INC001</number><short_description>printer on fire</short_description>");

describe("HTTP answers", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({
      files: { gateway: "basic_auth:\n  required: true\n  realm: wss-gateway\nws_security:\n  required: false\nstrict_security: false\nlimits:\n  max_body_bytes: 2048\n" },
    });
  });
  after(() => gateway.close());

  test("an authenticated insert is answered 200 with the new sys_id and written once", async () => {
    const response = await postSoap(gateway, "incident", INSERT, { authorization: ALICE });
    assert.equal(response.status, 200, response.body);
    assert.match(response.headers.get("content-type") ?? "", /^text\/xml/);
    const sysId = textOf(response.body, "sys_id");
    assert.match(sysId ?? "", /^[0-9a-f]{32}$/);
    const rows = gateway.rows("incident");
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.sys_created_by, "alice");
    assert.equal(rows[0]!.sys_updated_by, "alice");
  });

  test("unknown table → 404, nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "no_such_table", INSERT, { authorization: ALICE });
    assert.equal(response.status, 404);
    assert.equal(gateway.rows("incident").length, before);
  });

  test("unknown path → 404", async () => {
    const response = await fetch(`${gateway.url}/incident.do`, { headers: { Authorization: ALICE } });
    assert.equal(response.status, 404);
  });

  test("GET on the SOAP endpoint → 405 with Allow: POST", async () => {
    const response = await fetch(`${gateway.url}/incident.do?SOAP`, { headers: { Authorization: ALICE } });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
  });

  test("POST on the WSDL endpoint → 405", async () => {
    const response = await fetch(`${gateway.url}/incident.do?WSDL`, { method: "POST", headers: { Authorization: ALICE }, body: "x" });
    assert.equal(response.status, 405);
  });

  test("a content type other than text/xml or application/soap+xml → 415, nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", INSERT, { authorization: ALICE, contentType: "application/json" });
    assert.equal(response.status, 415);
    assert.equal(gateway.rows("incident").length, before);
  });

  test("a body over max_body_bytes → 413, nothing written", async () => {
    const before = gateway.rows("incident").length;
    const big = soapEnvelope("incident", "insert", `<short_description>${"x".repeat(4000)}</short_description>`);
    const response = await postSoap(gateway, "incident", big, { authorization: ALICE });
    assert.equal(response.status, 413);
    assert.equal(gateway.rows("incident").length, before);
  });

  test("a body over the limit is refused while it is read, not after it is buffered whole", async () => {
    // Declares 100 MB, sends 4 KB and keeps the connection open: the 413 must come without the rest.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${gateway.url}/incident.do?SOAP`);
      const req = request(
        { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "POST", headers: { "Content-Type": "text/xml", Authorization: ALICE, "Transfer-Encoding": "chunked" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on("error", (error) => (error.message.includes("socket hang up") || error.message.includes("EPIPE") ? undefined : reject(error)));
      req.write("<".repeat(4096));
      setTimeout(() => reject(new Error("no answer while the body was still open")), 5000).unref();
    });
    assert.equal(status, 413);
  });

  test("missing Basic credentials → 401 with WWW-Authenticate, nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", INSERT);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), 'Basic realm="wss-gateway", charset="UTF-8"');
    assert.equal(gateway.rows("incident").length, before);
  });

  test("wrong Basic password → 401, nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth("alice", "wrong") });
    assert.equal(response.status, 401);
    assert.equal(gateway.rows("incident").length, before);
  });

  test("unknown user → 401", async () => {
    const response = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth("mallory", "alice-password") });
    assert.equal(response.status, 401);
  });

  test("unreadable Authorization header → 401", async () => {
    const response = await postSoap(gateway, "incident", INSERT, { authorization: "Basic %%%" });
    assert.equal(response.status, 401);
  });

  test("a malformed body → 400 Client fault 'Malformed SOAP request', nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", "<soapenv:Envelope", { authorization: ALICE });
    assert.equal(response.status, 400);
    assert.equal(textOf(response.body, "faultstring"), "Malformed SOAP request");
    assert.equal(textOf(response.body, "faultcode"), "soapenv:Client");
    assert.equal(gateway.rows("incident").length, before);
  });

  test("a response echoes the client's X-Request-Id, or makes one", async () => {
    const given = await postSoap(gateway, "incident", INSERT, { authorization: ALICE, headers: { "X-Request-Id": "abc-123" } });
    assert.equal(given.headers.get("x-request-id"), "abc-123");
    const made = await postSoap(gateway, "incident", INSERT, { authorization: ALICE });
    assert.match(made.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  test("one JSON audit line per request, with request id, users, operation, table and outcome, without the password", async () => {
    await postSoap(gateway, "incident", INSERT, { authorization: ALICE, headers: { "X-Request-Id": "audit-line-1" } });
    const lines = gateway.logLines().filter((line) => (line.audit as { requestId?: string } | undefined)?.requestId === "audit-line-1");
    assert.equal(lines.length, 1);
    const audit = lines[0]!.audit as Record<string, unknown>;
    assert.equal(audit.basicUser, "alice");
    assert.equal(audit.sessionUser, "alice");
    assert.equal(audit.operation, "insert");
    assert.equal(audit.table, "incident");
    assert.equal(audit.outcome, "ok");
    assert.equal(audit.status, 200);
    assert.equal(typeof audit.latencyMs, "number");
    assert.equal(gateway.rawLog().includes("alice-password"), false);
  });

  test("/healthz and /readyz answer 200 without credentials", async () => {
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200);
  });

  test("/metrics serves Prometheus text with request counts", async () => {
    const response = await fetch(`${gateway.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /wss_gateway_requests_total\{/);
  });
});

describe("Basic auth against users.yaml", () => {
  let gateway: TestGateway;
  before(async () => {
    const { hashPassword } = await import("../../src/auth/password.js");
    const hash = await hashPassword("hashed-secret", 10);
    process.env.WSS_TEST_ENV_PASSWORD = "env-secret";
    gateway = await startTestGateway({
      files: {
        users: `users:
  - user_name: hashed
    password: "${hash}"
    roles: [soap]
  - user_name: from_env
    password: {env: WSS_TEST_ENV_PASSWORD}
    roles: [soap]
  - user_name: from_file
    password: {file: secrets/from_file.txt}
    roles: [soap]
  - user_name: retired
    password: retired-password
    roles: [soap]
    active: false
`,
      },
      extra: { "secrets/from_file.txt": "file-secret\n" },
    });
  });
  after(() => gateway.close());

  for (const [user, password] of [
    ["hashed", "hashed-secret"],
    ["from_env", "env-secret"],
    ["from_file", "file-secret"],
  ] as const) {
    test(`${user}: the right password is accepted and the row is written by ${user}`, async () => {
      const response = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth(user, password) });
      assert.equal(response.status, 200, response.body);
      assert.ok(gateway.rows("incident").some((row) => row.sys_created_by === user));
    });
  }

  test("a hashed password is still checked on every request (the cache keys on the password)", async () => {
    const ok = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth("hashed", "hashed-secret") });
    assert.equal(ok.status, 200);
    const wrong = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth("hashed", "hashed-secreT") });
    assert.equal(wrong.status, 401);
  });

  test("the file secret's trailing newline is dropped, not part of the password", async () => {
    const response = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth("from_file", "file-secret\n") });
    assert.equal(response.status, 401);
  });

  test("an inactive user with the right password → 401, nothing written", async () => {
    const before = gateway.rows("incident").length;
    const response = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth("retired", "retired-password") });
    assert.equal(response.status, 401);
    assert.equal(gateway.rows("incident").length, before);
  });
});

describe("Basic auth not required", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({
      files: { gateway: "basic_auth:\n  required: false\nws_security:\n  required: false\nstrict_security: false\n" },
    });
  });
  after(() => gateway.close());

  test("without credentials the basic user is guest; a guest without a users.yaml account may do nothing, nothing written", async () => {
    const response = await postSoap(gateway, "incident", INSERT);
    assert.equal(response.status, 500, response.body);
    assert.equal(textOf(response.body, "faultstring"), "Insufficient rights to perform insert on incident");
    assert.equal(gateway.rows("incident").length, 0);
    const audit = gateway.logLines().map((line) => line.audit as Record<string, unknown> | undefined).find((a) => a?.basicUser === "guest");
    assert.equal(audit?.sessionUser, "guest");
  });

  test("wrong credentials are still refused → 401", async () => {
    const response = await postSoap(gateway, "incident", INSERT, { authorization: basicAuth("alice", "nope") });
    assert.equal(response.status, 401);
  });
});

describe("Basic auth not required, guest account in users.yaml", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({
      files: {
        gateway: "basic_auth:\n  required: false\nws_security:\n  required: false\nstrict_security: false\n",
        users: "users:\n  - user_name: guest\n    roles: []\n",
      },
    });
  });
  after(() => gateway.close());

  test("without credentials the request runs as the guest account and writes as guest", async () => {
    const response = await postSoap(gateway, "incident", INSERT);
    assert.equal(response.status, 200, response.body);
    assert.equal(gateway.rows("incident").at(-1)!.sys_created_by, "guest");
  });
});
