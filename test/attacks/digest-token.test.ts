/**
 * Digest-token sign-on (SM_USER / DE_USER, docs/digest-token.md) through a
 * real gateway on 127.0.0.1: the platform's test vectors, headers and query
 * parameters, a wrong or replayed-after-expiry token, throttling of wrong
 * tokens, max_age_seconds with DE_TIME covered by the HMAC (time from a
 * ManualClock), and neither token nor secret in the log.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { computeDigestToken, digestTokenMessage } from "../../src/auth/digest-token.js";
import { ManualClock } from "../../src/clock.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, type TestGateway } from "../helpers/gateway.js";

const SECRET_ENV = "DIGEST_TOKEN_TEST_SECRET";
const SECRET = "12345";
const SHA1_ADMIN = "SuaGUdiqQZikiOfxcgQZALaQJpE=";
const SHA256_ADMIN = "IMafPR3HHBl+ykp7ACAfQqMffxtCI86Qv1oI8dqQJr0=";

const USERS = `users:
  - user_name: admin
    email: admin@example.test
    password: admin-password
    roles: [soap]
  - user_name: retired
    password: retired-password
    roles: [soap]
    active: false
  - user_name: alice
    password: alice-password
    roles: [soap]
`;

function gatewayYaml(digestToken: string, maxFailures = 50): string {
  return `basic_auth:
  required: true
ws_security:
  required: false
strict_security: false
throttle:
  max_failures: ${maxFailures}
  window_seconds: 60
  cooldown_seconds: 60
digest_token:
  secret: {env: ${SECRET_ENV}}
${digestToken}`;
}

const insert = (number: string) => soapEnvelope("incident", "insert", `<number>${number}</number>`);

describe("the platform's test vectors", () => {
  test("admin / 12345: HmacSHA1 → SuaGUdiqQZikiOfxcgQZALaQJpE=, HmacSHA256 → IMafPR3HHBl+ykp7ACAfQqMffxtCI86Qv1oI8dqQJr0=", () => {
    assert.equal(computeDigestToken(SECRET, "HmacSHA1", "admin"), SHA1_ADMIN);
    assert.equal(computeDigestToken(SECRET, "HmacSHA256", "admin"), SHA256_ADMIN);
  });

  test("openssl computes the same tokens (the shell recipe of docs/digest-token.md)", () => {
    for (const [digest, expected] of [["sha1", SHA1_ADMIN], ["sha256", SHA256_ADMIN]] as const) {
      const result = spawnSync("sh", ["-c", `printf '%s' admin | openssl dgst -${digest} -hmac 12345 -binary | openssl base64 -A`], { encoding: "utf8" });
      assert.equal(result.stdout, expected);
    }
  });

  test("with max_age_seconds the HMAC covers \"user:DE_TIME\"", () => {
    assert.equal(digestTokenMessage("admin", "1700000000"), "admin:1700000000");
    assert.notEqual(computeDigestToken(SECRET, "HmacSHA256", "admin:1700000000"), SHA256_ADMIN);
  });
});

describe("digest-token sign-on over HTTP (HmacSHA1, no max age)", () => {
  let gateway: TestGateway;
  before(async () => {
    process.env[SECRET_ENV] = SECRET;
    gateway = await startTestGateway({ files: { gateway: gatewayYaml("  algorithm: HmacSHA1\n"), users: USERS } });
  });
  after(async () => {
    await gateway.close();
    delete process.env[SECRET_ENV];
  });

  const written = (number: string) => gateway.rows("incident").filter((r) => r.number === number);
  const lastAudit = () =>
    gateway
      .logLines()
      .map((l) => l.audit as Record<string, unknown> | undefined)
      .filter((a) => a !== undefined)
      .at(-1)!;

  test("SM_USER admin + DE_USER with the vector token → 200, written by admin; the audit line says signOn digest-token", async () => {
    const response = await postSoap(gateway, "incident", insert("DT-1"), { headers: { SM_USER: "admin", DE_USER: SHA1_ADMIN } });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(written("DT-1").map((r) => r.sys_created_by), ["admin"]);
    assert.equal(lastAudit().signOn, "digest-token");
    assert.equal(lastAudit().basicUser, "admin");
  });

  test("the same pair as query parameters → 200; the WSDL too", async () => {
    const query = `SM_USER=admin&DE_USER=${encodeURIComponent(SHA1_ADMIN)}`;
    const soap = await fetch(`${gateway.url}/incident.do?SOAP&${query}`, { method: "POST", headers: { "Content-Type": "text/xml" }, body: insert("DT-Q") });
    assert.equal(soap.status, 200, await soap.text());
    assert.deepEqual(written("DT-Q").map((r) => r.sys_created_by), ["admin"]);
    const wsdl = await fetch(`${gateway.url}/incident.do?WSDL&${query}`);
    assert.equal(wsdl.status, 200);
  });

  test("Basic sign-on still works beside it, and the audit line says basic", async () => {
    const response = await postSoap(gateway, "incident", insert("DT-B"), { authorization: basicAuth("alice", "alice-password") });
    assert.equal(response.status, 200);
    assert.equal(lastAudit().signOn, "basic");
  });

  test("refused with 401, nothing written: a token for another user, a missing token, an unknown or inactive user, header and query disagreeing, Basic and a token together", async () => {
    const cases: Record<string, string>[] = [
      { SM_USER: "alice", DE_USER: SHA1_ADMIN },
      { SM_USER: "admin" },
      { SM_USER: "nobody", DE_USER: computeDigestToken(SECRET, "HmacSHA1", "nobody") },
      { SM_USER: "retired", DE_USER: computeDigestToken(SECRET, "HmacSHA1", "retired") },
      { SM_USER: "Admin", DE_USER: SHA1_ADMIN },
      { DE_USER: SHA1_ADMIN },
      { SM_USER: "admin", DE_USER: SHA256_ADMIN },
    ];
    for (const [index, headers] of cases.entries()) {
      const response = await postSoap(gateway, "incident", insert(`DT-R${index}`), { headers });
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.headers.get("www-authenticate"), 'Basic realm="wss-gateway", charset="UTF-8"');
    }
    const disagreeing = await fetch(`${gateway.url}/incident.do?SOAP&SM_USER=alice`, {
      method: "POST",
      headers: { "Content-Type": "text/xml", SM_USER: "admin", DE_USER: SHA1_ADMIN },
      body: insert("DT-R-Q"),
    });
    assert.equal(disagreeing.status, 401);
    const both = await postSoap(gateway, "incident", insert("DT-R-B"), { authorization: basicAuth("alice", "alice-password"), headers: { SM_USER: "admin", DE_USER: SHA1_ADMIN } });
    assert.equal(both.status, 401);
    assert.equal(gateway.rows("incident").filter((r) => String(r.number).startsWith("DT-R")).length, 0);
  });

  test("neither the token nor the secret appears in the log", () => {
    const log = gateway.rawLog();
    assert.ok(log.includes('"signOn":"digest-token"'));
    for (const secret of [SHA1_ADMIN, SHA256_ADMIN, `"${SECRET}"`]) assert.equal(log.includes(secret), false, secret);
  });
});

describe("wrong digest tokens are failed credentials: throttled like wrong passwords", () => {
  let gateway: TestGateway;
  before(async () => {
    process.env[SECRET_ENV] = SECRET;
    gateway = await startTestGateway({ files: { gateway: gatewayYaml("", 3), users: USERS } });
  });
  after(async () => {
    await gateway.close();
    delete process.env[SECRET_ENV];
  });

  test("3 wrong tokens (max_failures 3) → the 4th request, even with the right token, gets 429 with Retry-After; nothing written", async () => {
    for (let i = 0; i < 3; i++) {
      const wrong = computeDigestToken("guess-" + i, "HmacSHA256", "admin");
      const response = await postSoap(gateway, "incident", insert(`TH-${i}`), { headers: { SM_USER: "admin", DE_USER: wrong } });
      assert.equal(response.status, 401);
    }
    const blocked = await postSoap(gateway, "incident", insert("TH-OK"), { headers: { SM_USER: "admin", DE_USER: SHA256_ADMIN } });
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get("retry-after")) >= 1);
    assert.equal(gateway.rows("incident").length, 0);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(metrics, /wss_gateway_credential_failures_total\{source="digest-token"\} 3/);
  });

  test("a missing token is not a failed credential (like a request without Authorization)", async () => {
    const other = await startTestGateway({ configDir: gateway.configDir });
    try {
      for (let i = 0; i < 4; i++) {
        const response = await postSoap(other, "incident", insert(`M-${i}`), { headers: { SM_USER: "admin" } });
        assert.equal(response.status, 401);
      }
      const response = await postSoap(other, "incident", insert("M-OK"), { headers: { SM_USER: "admin", DE_USER: SHA256_ADMIN } });
      assert.equal(response.status, 200);
    } finally {
      await other.close();
    }
  });
});

describe("max_age_seconds: DE_TIME is covered by the HMAC and bounded in age", () => {
  let gateway: TestGateway;
  const clock = new ManualClock("2026-03-01T12:00:00Z");
  const now = () => Math.floor(clock.now().getTime() / 1000);
  const token = (user: string, time: number | string) => computeDigestToken(SECRET, "HmacSHA256", `${user}:${time}`);

  before(async () => {
    process.env[SECRET_ENV] = SECRET;
    gateway = await startTestGateway({ files: { gateway: gatewayYaml("  max_age_seconds: 120\n"), users: USERS }, clock });
  });
  after(async () => {
    await gateway.close();
    delete process.env[SECRET_ENV];
  });

  const send = (number: string, headers: Record<string, string>) => postSoap(gateway, "incident", insert(number), { headers });

  test("a token over \"admin:DE_TIME\" with a fresh DE_TIME → 200", async () => {
    const time = now() - 30;
    const response = await send("MA-1", { SM_USER: "admin", DE_USER: token("admin", time), DE_TIME: String(time) });
    assert.equal(response.status, 200, response.body);
  });

  test("refused, nothing written: DE_TIME older than max_age_seconds, DE_TIME missing, the platform token without time, DE_TIME changed under the token, DE_TIME in the future beyond the skew", async () => {
    const old = now() - 121;
    const fresh = now() - 10;
    const future = now() + 61;
    const cases: Record<string, string>[] = [
      { SM_USER: "admin", DE_USER: token("admin", old), DE_TIME: String(old) },
      { SM_USER: "admin", DE_USER: token("admin", fresh) },
      { SM_USER: "admin", DE_USER: SHA256_ADMIN },
      { SM_USER: "admin", DE_USER: token("admin", old), DE_TIME: String(fresh) },
      { SM_USER: "admin", DE_USER: token("admin", future), DE_TIME: String(future) },
      { SM_USER: "admin", DE_USER: token("admin", "soon"), DE_TIME: "soon" },
    ];
    for (const [index, headers] of cases.entries()) {
      const response = await send(`MA-R${index}`, headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
    }
    assert.equal(gateway.rows("incident").filter((r) => String(r.number).startsWith("MA-R")).length, 0);
  });

  test("a captured token stops working once max_age_seconds have passed", async () => {
    const time = now();
    const headers = { SM_USER: "admin", DE_USER: token("admin", time), DE_TIME: String(time) };
    assert.equal((await send("MA-C1", headers)).status, 200);
    clock.advanceSeconds(121);
    assert.equal((await send("MA-C2", headers)).status, 401);
    assert.deepEqual(gateway.rows("incident").filter((r) => String(r.number).startsWith("MA-C")).map((r) => r.number), ["MA-C1"]);
  });

  test("explain --digest-token shows the sign-on that was used", async () => {
    const file = join(gateway.configDir, "saved.xml");
    writeFileSync(file, insert("EX-1"));
    const time = now();
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "explain", "--config", gateway.configDir, "--user", "admin", ...args, "--at", clock.now().toISOString(), file], {
        encoding: "utf8",
        env: { ...process.env, [SECRET_ENV]: SECRET },
      });
    const admitted = run(["--digest-token", token("admin", time), "--de-time", String(time)]);
    assert.equal(admitted.status, 0, admitted.stdout + admitted.stderr);
    assert.ok(admitted.stdout.includes("2. Basic auth: admin authenticated by digest token (HmacSHA256, checked)\n   sign-on: digest-token\n"), admitted.stdout);
    const refused = run(["--digest-token", SHA256_ADMIN, "--de-time", String(time)]);
    assert.equal(refused.status, 1);
    assert.ok(refused.stdout.includes("2. Basic auth: refused: digest token: wrong digest token\n"), refused.stdout);
    const basic = run(["--password", "admin-password"]);
    assert.ok(basic.stdout.includes("   sign-on: basic\n"), basic.stdout);
  });
});

describe("docs/digest-token.md: the shell and Python examples, verbatim, against a gateway with max_age_seconds", () => {
  const DOC = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "digest-token.md"), "utf8");
  const block = (language: string) => {
    const start = DOC.indexOf("## Complete examples");
    const match = new RegExp("```" + language + "\\n([\\s\\S]*?)\\n```").exec(DOC.slice(start));
    assert.ok(match, `docs/digest-token.md: no ${language} example`);
    return match[1]!;
  };
  let gateway: TestGateway;
  let workDir: string;

  before(async () => {
    process.env[SECRET_ENV] = SECRET;
    gateway = await startTestGateway({ files: { gateway: gatewayYaml("  max_age_seconds: 300\n"), users: USERS } });
    workDir = mkdtempSync(join(tmpdir(), "wss-gateway-digest-doc-"));
  });
  after(async () => {
    await gateway.close();
    delete process.env[SECRET_ENV];
  });

  /** Runs without blocking this process: the gateway answering it runs here. */
  const run = (command: string, args: string[], number: string) => {
    writeFileSync(join(workDir, "insert.xml"), insert(number));
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(command, args, { cwd: workDir, env: { ...process.env, GATEWAY: gateway.url, DIGEST_TOKEN_SECRET: SECRET }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  };

  test("the shell example (openssl + curl) signs on as admin: HTTP 200, written by admin", async () => {
    const result = await run("bash", ["-e", "-c", block("sh")], "DOC-SH");
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "200\n", readFileSync(join(workDir, "response.xml"), "utf8"));
    assert.deepEqual(gateway.rows("incident").filter((r) => r.number === "DOC-SH").map((r) => r.sys_created_by), ["admin"]);
  });

  test("the Python example signs on as admin: HTTP 200, written by admin", async () => {
    const result = await run("python3", ["-c", block("python")], "DOC-PY");
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^200\n/);
    assert.deepEqual(gateway.rows("incident").filter((r) => r.number === "DOC-PY").map((r) => r.sys_created_by), ["admin"]);
  });
});
