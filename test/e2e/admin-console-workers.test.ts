/**
 * `serve --workers 2 --metrics-port 0`: the real CLI in a child process.
 * Each worker keeps its own ring of refused requests; whichever worker
 * serves an admin page shows the refusals of both (gathered by the primary
 * over the cluster IPC channel), and the shadow counts of both. Also the
 * flags' usage errors.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { runServe } from "../../src/cli/serve.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { basicAuth, soapEnvelope } from "../helpers/gateway.js";
import { serverUrl } from "../helpers/servers.js";
import { exitWithin, logLineWithin, postOnNewConnection, spawnServe, type ServeProcess } from "../helpers/serve-process.js";

const REFUSED = 8;
const redis = serverUrl("WSS_TEST_REDIS_URL");

function getOnNewConnection(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, agent: false, headers: { ...headers, Connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("admin console with two workers", { skip: "skip" in redis ? redis.skip : false }, () => {
  let served: ServeProcess;
  let adminUrl: string;

  before(async () => {
    const configDir = makeConfigDir({
      gateway: `basic_auth:\n  required: true\nws_security:\n  required: true\n  default_policy: Signed\n  shadow_policy: Signed\nstrict_security: false\n`,
      profiles: `profiles:\n  - name: Creds\n    type: username\n    action: authenticate_with_user\n    user_field: user_name\n`,
      policies: `policies:\n  - name: Signed\n    type: inbound\n    require_signed: true\n    profiles: [Creds]\n`,
      users: `users:\n  - user_name: admin\n    password: admin-password\n    roles: [admin]\n  - user_name: alice\n    password: alice-password\n    roles: [soap]\n`,
    });
    const dbPath = join(mkdtempSync(join(tmpdir(), "wss-admin-workers-db-")), "gateway.db");
    served = await spawnServe(
      ["--config", configDir, "--store", `sqlite:${dbPath}`, "--workers", "2", "--replay-cache", "url" in redis ? redis.url : "", "--metrics-port", "0"],
      { readyMessage: "wss-gateway workers listening", timeoutMs: 90_000 }, // two workers compiling through tsx on a loaded machine
    );
    // The workers' ops listener may log just after the primary's "workers listening".
    const opsLine = await logLineWithin(served, "metrics, readiness and admin console listening", 30_000);
    assert.ok(opsLine, "a worker reported the metrics listener");
    adminUrl = `${opsLine.url as string}/admin/`;
    for (let i = 0; i < REFUSED; i++) {
      const response = await postOnNewConnection(served.url, "/incident.do?SOAP", soapEnvelope("incident", "insert", "<number>x</number>"), {
        "Content-Type": "text/xml; charset=utf-8",
        Authorization: basicAuth("alice", "alice-password"),
        "X-Request-Id": `refused-${i}`,
      });
      assert.equal(response.status, 500);
    }
    await delay(200); // the workers' log lines reach our pipe
  });

  after(async () => {
    if (served && served.child.exitCode === null) {
      served.child.kill("SIGTERM");
      await exitWithin(served, 20_000);
    }
  });

  test("the refusals were served by both workers, and every admin page view shows all of them with the shadow counts of both", async () => {
    const workerOf = (id: string) => served.logLines().find((line) => (line.audit as { requestId?: string } | undefined)?.requestId === id)?.worker;
    const workers = new Set(Array.from({ length: REFUSED }, (_, i) => workerOf(`refused-${i}`)));
    assert.deepEqual([...workers].sort(), [1, 2], "both workers refused some");
    for (let view = 0; view < 4; view++) {
      const page = await getOnNewConnection(`${adminUrl}refusals`, { Authorization: basicAuth("admin", "admin-password") });
      assert.equal(page.status, 200);
      assert.match(page.body, /Data of 2 of 2 workers/);
      for (let i = 0; i < REFUSED; i++) assert.ok(page.body.includes(`<code>refused-${i}</code>`), `view ${view} shows refused-${i}`);
      const shadow = await getOnNewConnection(`${adminUrl}shadow`, { Authorization: basicAuth("admin", "admin-password") });
      assert.match(shadow.body, new RegExp(`would be refused: <strong>${REFUSED}</strong>`));
      assert.match(shadow.body, new RegExp(`<tr><td>alice</td><td>${REFUSED}</td></tr>`));
    }
  });
});

describe("serve --metrics-port / --metrics-host usage", () => {
  async function serve(argv: string[]) {
    const stderr = new PassThrough();
    const chunks: Buffer[] = [];
    stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    const status = await runServe(argv, { stdin: new PassThrough(), stdout: new PassThrough(), stderr });
    return { status, stderr: Buffer.concat(chunks).toString() };
  }

  test("not a port, the SOAP port itself, or --metrics-host alone → usage error 2", async () => {
    assert.deepEqual(await serve(["--metrics-port", "http"]), { status: 2, stderr: "serve: --metrics-port: not a port number: http\n" });
    assert.deepEqual(await serve(["--metrics-port", "70000"]), { status: 2, stderr: "serve: --metrics-port: not a port number: 70000\n" });
    assert.deepEqual(await serve(["--port", "8080", "--metrics-port", "8080"]), { status: 2, stderr: "serve: --metrics-port must differ from --port\n" });
    assert.deepEqual(await serve(["--metrics-host", "0.0.0.0"]), { status: 2, stderr: "serve: --metrics-host needs --metrics-port\n" });
  });
});
