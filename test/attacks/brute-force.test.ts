/**
 * Brute force (SPEC §2 `throttle:`, §3 429): failed credentials are counted
 * per client address and per user name, through a real gateway on real
 * HTTP. Different client addresses are real: the requests leave from
 * 127.0.0.x loopback addresses. Time moves by a ManualClock, never by sleeping
 * (only the per-user slow-down is real time, and it is capped at 1 s).
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { FailureTracker } from "../../src/abuse/failure-tracker.js";
import { FailureWindow } from "../../src/abuse/failure-window.js";
import { clientKey } from "../../src/abuse/client-key.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";

const START = "2030-01-01T00:00:00Z";
const THROTTLE = { maxFailures: 3, windowSeconds: 60, cooldownSeconds: 120 };

function gatewayYaml(wsSecurity = ""): string {
  return `basic_auth:
  required: true
  realm: wss-gateway
${wsSecurity || "ws_security:\n  required: false\n"}strict_security: false
throttle:
  max_failures: ${THROTTLE.maxFailures}
  window_seconds: ${THROTTLE.windowSeconds}
  cooldown_seconds: ${THROTTLE.cooldownSeconds}
`;
}

const INSERT = (number: string) => soapEnvelope("incident", "insert", `<number>${number}</number>`);
const ALICE = basicAuth("alice", "alice-password");
const ALICE_WRONG = basicAuth("alice", "guess");
const BOB_WRONG = basicAuth("bob", "guess");

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

/** POST /incident.do?SOAP from a chosen loopback address. */
function postFrom(
  localAddress: string,
  gateway: TestGateway,
  body: string | Buffer,
  options: { authorization?: string; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { "Content-Type": options.contentType ?? "text/xml; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)) };
  if (options.authorization) headers.Authorization = options.authorization;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: gateway.port, path: "/incident.do?SOAP", method: "POST", localAddress, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
    req.end(body);
  });
}

function audits(gateway: TestGateway): Record<string, unknown>[] {
  return gateway.logLines().filter((line) => line.msg === "request").map((line) => line.audit as Record<string, unknown>);
}

async function failBasic(gateway: TestGateway, from: string, authorization: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const answer = await postFrom(from, gateway, INSERT("GUESS"), { authorization });
    assert.equal(answer.status, 401, `attempt ${i + 1} from ${from}`);
  }
}

const gateways: TestGateway[] = [];
async function gatewayWith(clock: ManualClock, files: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const gateway = await startTestGateway({ files: { gateway: gatewayYaml(), ...files.files }, extra: files.extra, clock });
  gateways.push(gateway);
  return gateway;
}
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

describe("per client address", () => {
  test("max_failures wrong Basic passwords from one address → 429 with Retry-After for the cool-down, nothing written, audit reason throttled", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock);
    await failBasic(gateway, "127.0.0.2", BOB_WRONG, 3);

    const blocked = await postFrom("127.0.0.2", gateway, INSERT("INC-BLOCKED"), { authorization: ALICE });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.retryAfter, "120");
    assert.equal(blocked.body, "too many failed authentication attempts; retry later\n");
    assert.deepEqual(gateway.rows("incident"), []);
    const audit = audits(gateway).at(-1)!;
    assert.equal(audit.outcome, "http-error");
    assert.equal(audit.status, 429);
    assert.equal(audit.reason, "throttled");
    assert.deepEqual(audit.throttle, { kind: "refused", scope: "address", retryAfterSeconds: 120 });
    assert.equal(audit.basicUser, undefined, "a blocked client is refused before Basic auth runs");
  });

  test("a blocked address is refused before its body is read: an oversized or non-SOAP body still gets 429, not 413/415", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock, { files: { gateway: gatewayYaml() + "limits:\n  max_body_bytes: 1024\n" } });
    await failBasic(gateway, "127.0.0.3", BOB_WRONG, 3);
    const oversized = await postFrom("127.0.0.3", gateway, Buffer.alloc(64 * 1024, 0x41), { authorization: ALICE });
    assert.equal(oversized.status, 429);
    const wrongType = await postFrom("127.0.0.3", gateway, "{}", { authorization: ALICE, contentType: "application/json" });
    assert.equal(wrongType.status, 429);
    // The same requests from a clean address get the HTTP answers they deserve.
    assert.equal((await postFrom("127.0.0.4", gateway, Buffer.alloc(64 * 1024, 0x41), { authorization: ALICE })).status, 413);
    assert.equal((await postFrom("127.0.0.4", gateway, "{}", { authorization: ALICE, contentType: "application/json" })).status, 415);
  });

  test("another client address is still served while one is blocked", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock);
    await failBasic(gateway, "127.0.0.5", BOB_WRONG, 3);
    assert.equal((await postFrom("127.0.0.5", gateway, INSERT("INC-A"), { authorization: ALICE })).status, 429);
    const other = await postFrom("127.0.0.6", gateway, INSERT("INC-B"), { authorization: ALICE });
    assert.equal(other.status, 200);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["INC-B"]);
  });

  test("the block ends cooldown_seconds after the failure that reached the limit: Retry-After counts down, then the address is served", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock);
    await failBasic(gateway, "127.0.0.7", BOB_WRONG, 3);
    clock.advanceSeconds(119);
    const lastSecond = await postFrom("127.0.0.7", gateway, INSERT("INC-EARLY"), { authorization: ALICE });
    assert.equal(lastSecond.status, 429);
    assert.equal(lastSecond.retryAfter, "1");
    clock.advanceSeconds(1);
    const served = await postFrom("127.0.0.7", gateway, INSERT("INC-LATER"), { authorization: ALICE });
    assert.equal(served.status, 200);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["INC-LATER"]);
  });

  test("failures older than window_seconds no longer count", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock);
    await failBasic(gateway, "127.0.0.8", BOB_WRONG, 2);
    clock.advanceSeconds(61);
    await failBasic(gateway, "127.0.0.8", BOB_WRONG, 2);
    assert.equal((await postFrom("127.0.0.8", gateway, INSERT("INC-OK"), { authorization: ALICE })).status, 200);
  });

  test("a success does not reset the address's count: a valid account cannot launder an attacker's failures", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock);
    await failBasic(gateway, "127.0.0.9", BOB_WRONG, 2);
    assert.equal((await postFrom("127.0.0.9", gateway, INSERT("INC-VALID"), { authorization: ALICE })).status, 200);
    await failBasic(gateway, "127.0.0.9", BOB_WRONG, 1);
    assert.equal((await postFrom("127.0.0.9", gateway, INSERT("INC-AFTER"), { authorization: ALICE })).status, 429);
  });

  test("unknown and inactive users count as failures; missing or unreadable credentials do not", async () => {
    const clock = new ManualClock(START);
    const users = `users:
  - user_name: alice
    password: alice-password
    roles: [soap]
  - user_name: retired
    password: retired-password
    roles: [soap]
    active: false
`;
    const gateway = await gatewayWith(clock, { files: { users } });
    for (let i = 0; i < 5; i++) {
      assert.equal((await postFrom("127.0.0.10", gateway, INSERT("X"))).status, 401);
      assert.equal((await postFrom("127.0.0.10", gateway, INSERT("X"), { authorization: "Basic !!!" })).status, 401);
    }
    assert.equal((await postFrom("127.0.0.10", gateway, INSERT("INC-STILL-OPEN"), { authorization: ALICE })).status, 200);

    await failBasic(gateway, "127.0.0.11", basicAuth("nobody", "x"), 2);
    await failBasic(gateway, "127.0.0.11", basicAuth("retired", "retired-password"), 1);
    assert.equal((await postFrom("127.0.0.11", gateway, INSERT("INC-X"), { authorization: ALICE })).status, 429);
  });
});

describe("per user name", () => {
  test("an attacker's blocked address does not lock the real user out at another address (only slows it)", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock);
    await failBasic(gateway, "127.0.0.20", ALICE_WRONG, 3);
    assert.equal((await postFrom("127.0.0.20", gateway, INSERT("INC-ATTACKER"), { authorization: ALICE })).status, 429);
    // Once blocked, the attacker's address cannot add failures for alice.
    assert.equal((await postFrom("127.0.0.20", gateway, INSERT("INC-ATTACKER"), { authorization: ALICE_WRONG })).status, 429);

    const real = await postFrom("127.0.0.21", gateway, INSERT("INC-REAL"), { authorization: ALICE });
    assert.equal(real.status, 200);
    assert.deepEqual(audits(gateway).at(-1)!.throttle, { kind: "slowed", scope: "user", delayMs: 250 });
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["INC-REAL"]);
  });

  test("failures for one user spread over addresses: slowed from max_failures on (growing delay), refused 429 at twice max_failures, served again after the cool-down", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock);
    const addresses = ["127.0.0.30", "127.0.0.31", "127.0.0.32"];
    // Six failures, two per address: no address reaches max_failures.
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      assert.equal((await postFrom(addresses[i % 3]!, gateway, INSERT("GUESS"), { authorization: ALICE_WRONG })).status, 401);
      const expectedDelayMs = [0, 0, 0, 250, 500, 750][i]!;
      const throttle = audits(gateway).at(-1)!.throttle;
      assert.deepEqual(throttle, expectedDelayMs === 0 ? undefined : { kind: "slowed", scope: "user", delayMs: expectedDelayMs });
      assert.ok(performance.now() - started >= expectedDelayMs - 5, `attempt ${i + 1} was held back ${expectedDelayMs} ms`);
    }
    const locked = await postFrom("127.0.0.33", gateway, INSERT("INC-LOCKED"), { authorization: ALICE });
    assert.equal(locked.status, 429);
    assert.equal(locked.retryAfter, "120");
    assert.deepEqual(audits(gateway).at(-1)!.throttle, { kind: "refused", scope: "user", retryAfterSeconds: 120 });
    // Other users are not affected.
    assert.equal((await postFrom("127.0.0.33", gateway, INSERT("INC-BOB"), { authorization: basicAuth("bob", "bob-password") })).status, 200);

    clock.advanceSeconds(120);
    const back = await postFrom("127.0.0.33", gateway, INSERT("INC-ALICE"), { authorization: ALICE });
    assert.equal(back.status, 200);
    assert.equal(audits(gateway).at(-1)!.throttle, undefined, "after the cool-down the failures are out of the window too");
    assert.deepEqual(gateway.rows("incident").map((row) => row.number).sort(), ["INC-ALICE", "INC-BOB"]);
  });
});

describe("WS-Security credentials", () => {
  let pkiDir: string;
  let partner: TestCertificate;
  let stranger: TestCertificate;
  before(() => {
    pkiDir = mkdtempSync(join(tmpdir(), "brute-force-pki-"));
    // Valid across START, when the tests' clock stands.
    partner = makeCertificate(pkiDir, "partner", { key: "rsa2048", notAfter: new Date("2031-01-01T00:00:00Z") });
    stranger = makeCertificate(pkiDir, "stranger", { key: "rsa2048", notAfter: new Date("2031-01-01T00:00:00Z") });
  });
  after(() => rmSync(pkiDir, { recursive: true, force: true }));

  const WSS_REQUIRED = `ws_security:
  required: true
  default_policy: Default Security Policy
`;
  const USERNAME_PROFILE = `profiles:
  - name: Credentials
    type: username
    order: 100
    action: authenticate_with_user
    user_field: user_name
    bind_session: true
`;
  const X509_PROFILE = `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    bind_session: true
    run_as_user: alice
    certificate: certs/partner.pem
`;
  const policy = (profile: string, requireSigned: boolean) => `policies:
  - name: Default Security Policy
    type: inbound
    require_signed: ${requireSigned}
    authenticate: all
    profiles: [${profile}]
`;

  test("wrong UsernameToken passwords and digests count: the address is blocked after max_failures faults", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock, {
      files: { gateway: gatewayYaml(WSS_REQUIRED), profiles: USERNAME_PROFILE, policies: policy("Credentials", false) },
    });
    const bob = basicAuth("bob", "bob-password");
    const tokens = [
      signEnvelope(INSERT("T1"), { username: "alice", password: "wrong", clock }),
      signEnvelope(INSERT("T2"), { username: "alice", password: "wrong", passwordType: "digest", clock }),
      signEnvelope(INSERT("T3"), { username: "nobody", password: "x", clock }),
    ];
    for (const envelope of tokens) {
      const answer = await postFrom("127.0.0.40", gateway, envelope, { authorization: bob });
      assert.equal(answer.status, 500);
      assert.equal(textOf(answer.body, "faultstring"), "Failed to authenticate WS-Security");
    }
    const good = signEnvelope(INSERT("T-GOOD"), { username: "alice", password: "alice-password", clock });
    const blocked = await postFrom("127.0.0.40", gateway, good, { authorization: bob });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.retryAfter, "120");
    assert.deepEqual(gateway.rows("incident"), []);
  });

  test("a UsernameToken user name locked by failures from several addresses is refused 429 before its token is checked", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock, {
      files: { gateway: gatewayYaml(WSS_REQUIRED), profiles: USERNAME_PROFILE, policies: policy("Credentials", false) },
    });
    const bob = basicAuth("bob", "bob-password");
    for (let i = 0; i < 6; i++) {
      const envelope = signEnvelope(INSERT(`W${i}`), { username: "alice", password: `guess-${i}`, clock });
      assert.equal((await postFrom(`127.0.0.${41 + (i % 3)}`, gateway, envelope, { authorization: bob })).status, 500);
    }
    const good = signEnvelope(INSERT("T-GOOD"), { username: "alice", password: "alice-password", clock });
    const locked = await postFrom("127.0.0.44", gateway, good, { authorization: bob });
    assert.equal(locked.status, 429);
    assert.deepEqual(audits(gateway).at(-1)!.throttle, { kind: "refused", scope: "user", retryAfterSeconds: 120 });
    assert.equal(audits(gateway).at(-1)!.profiles, undefined, "the token was not evaluated");
  });

  test("signature faults do not count: a stranger's signatures are refused every time, never with 429", async () => {
    const clock = new ManualClock(START);
    const gateway = await gatewayWith(clock, {
      files: { gateway: gatewayYaml(WSS_REQUIRED), profiles: X509_PROFILE, policies: policy("Partner certificate", true) },
      extra: { "certs/partner.pem": partner.certPem },
    });
    for (let i = 0; i < 5; i++) {
      const forged = signEnvelope(INSERT(`F${i}`), { key: stranger.keyPem, cert: stranger.certPem, timestampSeconds: 300, clock });
      const answer = await postFrom("127.0.0.50", gateway, forged, { authorization: ALICE });
      assert.equal(answer.status, 500, `forgery ${i + 1}`);
      assert.equal(textOf(answer.body, "faultstring"), "Failed to authenticate WS-Security");
      const unsigned = await postFrom("127.0.0.50", gateway, INSERT(`U${i}`), { authorization: ALICE });
      assert.equal(textOf(unsigned.body, "faultstring"), "SOAP request not Signed. Policy requires signing");
    }
    const signed = signEnvelope(INSERT("INC-SIGNED"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    assert.equal((await postFrom("127.0.0.50", gateway, signed, { authorization: ALICE })).status, 200);
    assert.deepEqual(gateway.rows("incident").map((row) => row.number), ["INC-SIGNED"]);
  });
});

describe("memory and address keys", () => {
  test("tracked keys are capped: a flood of distinct addresses keeps at most maxKeys entries", () => {
    const window = new FailureWindow(100);
    for (let i = 0; i < 5000; i++) window.recordFailure(`10.0.${i >> 8}.${i & 255}`, 1_000, 3, THROTTLE);
    assert.equal(window.size, 100);
  });

  test("expired entries are forgotten as new failures arrive", () => {
    const window = new FailureWindow(1000);
    for (let i = 0; i < 8; i++) window.recordFailure(`old-${i}`, 0, 3, THROTTLE);
    window.recordFailure("new", 61_000, 3, THROTTLE); // sweeps up to 4 expired entries
    window.recordFailure("newer", 61_000, 3, THROTTLE);
    assert.equal(window.size, 2);
  });

  test("a blocked key outlives its window until its cool-down ends", () => {
    const window = new FailureWindow(1000);
    for (let i = 0; i < 3; i++) window.recordFailure("attacker", 0, 3, THROTTLE);
    window.recordFailure("other", 100_000, 3, THROTTLE);
    assert.equal(window.blockedForMs("attacker", 100_000), 20_000);
    assert.equal(window.blockedCount(100_000), 1);
    window.recordFailure("another", 120_000, 3, THROTTLE);
    assert.equal(window.blockedForMs("attacker", 120_000), 0);
  });

  test("IPv6 clients are counted per /64 and IPv4-mapped addresses as IPv4", async () => {
    assert.equal(clientKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    assert.equal(clientKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
    assert.equal(clientKey("::1"), "0:0:0:0::/64");
    assert.equal(clientKey("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(clientKey("192.0.2.7"), "192.0.2.7");
    const clock = new ManualClock(START);
    const tracker = new FailureTracker(clock);
    for (let i = 1; i <= 3; i++) await tracker.recordFailure({ clientAddress: `2001:db8:1:2::${i}`, userName: undefined }, THROTTLE);
    assert.deepEqual(await tracker.checkAddress("2001:db8:1:2:abcd::9"), { kind: "blocked", retryAfterSeconds: 120 });
    assert.deepEqual(await tracker.checkAddress("2001:db8:1:3::1"), { kind: "open" });
  });
});
