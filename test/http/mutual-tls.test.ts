/**
 * HTTPS and inbound mutual TLS (SPEC §7): a client certificate verified
 * against --tls-client-ca and listed under a user's `client_certificates`
 * authenticates that user; it never overrides Basic credentials of another user.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import Database from "better-sqlite3";
import { startGateway, type RunningGateway } from "../../src/http/server.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { makeIssuedCertificate } from "../helpers/pki.js";
import { basicAuth, soapEnvelope } from "../helpers/gateway.js";

const INSERT = soapEnvelope("incident", "insert", "<number>TLS1</number>");

describe("mutual TLS", () => {
  let gateway: RunningGateway;
  let dbPath: string;
  let ca: TestCertificate;
  let partnerClient: TestCertificate;
  let strangerClient: TestCertificate;

  before(async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), "wss-gateway-mtls-"));
    ca = makeCertificate(pkiDir, "client-ca", { key: "rsa2048", subject: "/CN=test client CA" });
    const server = makeIssuedCertificate(pkiDir, "server", ca, { key: "rsa2048", subject: "/CN=127.0.0.1" });
    partnerClient = makeIssuedCertificate(pkiDir, "partner-client", ca, { key: "rsa2048", subject: "/CN=partner" });
    strangerClient = makeIssuedCertificate(pkiDir, "stranger-client", ca, { key: "rsa2048", subject: "/CN=stranger" });
    const configDir = makeConfigDir(
      {
        users: `users:
  - user_name: alice
    password: alice-password
    roles: [soap]
  - user_name: partner
    roles: [soap]
    client_certificates: [certs/partner-client.pem]
`,
      },
      { "certs/partner-client.pem": partnerClient.certPem },
    );
    dbPath = join(mkdtempSync(join(tmpdir(), "wss-gateway-db-")), "gateway.db");
    gateway = await startGateway({
      configDir,
      host: "127.0.0.1",
      port: 0,
      store: `sqlite:${dbPath}`,
      logger: pino({ level: "silent" }),
      tls: { certFile: server.certPath, keyFile: server.keyPath, clientCaFile: ca.certPath },
    });
  });
  after(() => gateway.close());

  function post(client: TestCertificate | undefined, authorization?: string): Promise<{ status: number; body: string }> {
    const url = new URL(`${gateway.url}/incident.do?SOAP`);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: "POST",
          ca: readFileSync(ca.certPath),
          ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
          checkServerIdentity: () => undefined,
          headers: { "Content-Type": "text/xml", ...(authorization ? { Authorization: authorization } : {}) },
        },
        (res) => {
          let body = "";
          res.on("data", (chunk) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end(INSERT);
    });
  }

  function createdBy(): unknown[] {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare("SELECT sys_created_by FROM incident").all().map((row) => (row as { sys_created_by: unknown }).sys_created_by);
    } finally {
      db.close();
    }
  }

  test("a mapped client certificate without Basic credentials authenticates its user", async () => {
    const response = await post(partnerClient);
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(createdBy(), ["partner"]);
  });

  test("a CA-verified certificate mapped to no user does not authenticate: 401, nothing written", async () => {
    const before = createdBy().length;
    const response = await post(strangerClient);
    assert.equal(response.status, 401);
    assert.equal(createdBy().length, before);
  });

  test("Basic credentials of another user with the partner's certificate → 401, nothing written", async () => {
    const before = createdBy().length;
    const response = await post(partnerClient, basicAuth("alice", "alice-password"));
    assert.equal(response.status, 401);
    assert.equal(createdBy().length, before);
  });

  test("a client without a certificate is refused by the TLS layer", async () => {
    await assert.rejects(post(undefined, basicAuth("alice", "alice-password")));
  });
});
