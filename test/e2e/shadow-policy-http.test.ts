/**
 * The report-only shadow policy (ws_security.shadow_policy) through the real
 * gateway: real HTTP on 127.0.0.1, a real SQLite file, real signatures. The
 * shadow's verdict shows in the audit line and /metrics and never in the
 * response, and it only reads the replay cache: the enforced decision still
 * accepts a signed message the shadow saw, exactly once.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import { reservingReplayGuard } from "../../src/replay/guard.js";
import { decideWsSecurity } from "../../src/wss/engine.js";
import { evaluateShadowPolicy } from "../../src/wss/shadow.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { loadConfig } from "../../src/config/load.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { makeCertificate } from "../helpers/openssl-certificate.js";
import { value } from "../helpers/prometheus.js";
import { parseRequest } from "../helpers/wss-config.js";

const workDir = mkdtempSync(join(tmpdir(), "wss-gateway-shadow-"));
const partner = makeCertificate(workDir, "partner", { key: "rsa2048" });

const USERS = `users:
  - user_name: alice
    password: alice-password
    roles: [soap]
  - user_name: mid.server
    password: mid-password
    roles: [soap]
    internal_integration_user: true
  - user_name: partner.soap
    password: partner-password
    roles: [soap]
`;
const PROFILES = `profiles:
  - name: Partner certificate
    type: x509
    order: 100
    bind_session: true
    run_as_user: partner.soap
    certificate: partner.pem
`;
const POLICIES = `policies:
  - name: Current
    type: inbound
    require_signed: false
    authenticate: at_least_one
    profiles: [Partner certificate]
  - name: Signed only
    type: inbound
    require_signed: true
    authenticate: all
    profiles: [Partner certificate]
  - name: Outbound
    type: outbound
    profiles: []
`;

function gatewayYaml(options: { required: boolean; defaultPolicy: string; shadowPolicy: string }): string {
  return `basic_auth:
  required: true
ws_security:
  required: ${options.required}
  default_policy: ${options.defaultPolicy}
  shadow_policy: ${options.shadowPolicy}
strict_security: false
`;
}

function files(options: { required: boolean; defaultPolicy: string; shadowPolicy: string }) {
  return { gateway: gatewayYaml(options), users: USERS, profiles: PROFILES, policies: POLICIES };
}

const insert = (description: string) => soapEnvelope("incident", "insert", `<short_description>${description}</short_description>`);
const signed = (description: string) => signEnvelope(insert(description), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300 });

interface RequestLine {
  readonly basicUser?: string;
  readonly status?: number;
  readonly shadow?: { policy: string; verdict: string; fault: string; reason?: string };
}

function auditLines(gateway: TestGateway): RequestLine[] {
  return gateway
    .logLines()
    .filter((line) => line.msg === "request" && (line.audit as { path?: string }).path === "/incident.do")
    .map((line) => line.audit as RequestLine);
}

async function metricsText(gateway: TestGateway): Promise<string> {
  return (await fetch(`${gateway.url}/metrics`)).text();
}

describe("shadow policy requiring signatures, while WS-Security is not yet enforced (required: false)", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({
      files: files({ required: false, defaultPolicy: "Current", shadowPolicy: "Signed only" }),
      extra: { "partner.pem": partner.certPem },
    });
  });
  after(() => gateway.close());

  test("unsigned requests of a normal user and of an internal integration user are served as before; audit and metrics say both would be refused: not_signed", async () => {
    const fromAlice = await postSoap(gateway, "incident", insert("from alice"), { authorization: basicAuth("alice", "alice-password") });
    const fromMid = await postSoap(gateway, "incident", insert("from the MID server"), { authorization: basicAuth("mid.server", "mid-password") });
    assert.equal(fromAlice.status, 200, fromAlice.body);
    assert.equal(fromMid.status, 200, fromMid.body);
    assert.match(textOf(fromAlice.body, "sys_id") ?? "", /^[0-9a-f]{32}$/);
    assert.deepEqual(
      gateway.rows("incident").map((row) => [row.short_description, row.sys_created_by]),
      [
        ["from alice", "alice"],
        ["from the MID server", "mid.server"],
      ],
    );

    const lines = auditLines(gateway);
    assert.deepEqual(
      lines.map((line) => [line.basicUser, line.status, line.shadow?.policy, line.shadow?.verdict, line.shadow?.fault]),
      [
        ["alice", 200, "Signed only", "refused", "not_signed"],
        ["mid.server", 200, "Signed only", "refused", "not_signed"],
      ],
    );
    assert.match(lines[0]!.shadow!.reason!, /no ds:Signature/);

    const metrics = await metricsText(gateway);
    assert.equal(value(metrics, "wss_gateway_shadow_decisions_total", { verdict: "refused", fault: "not_signed" }), 2);
    assert.equal(value(metrics, "wss_gateway_shadow_decisions_by_user_total", { user: "alice", verdict: "refused", fault: "not_signed" }), 1);
    assert.equal(value(metrics, "wss_gateway_shadow_decisions_by_user_total", { user: "mid.server", verdict: "refused", fault: "not_signed" }), 1);
  });

  test("a signed request from the partner is admitted by the shadow (fault none) and served", async () => {
    const response = await postSoap(gateway, "incident", signed("signed by the partner"), { authorization: basicAuth("alice", "alice-password") });
    assert.equal(response.status, 200, response.body);
    const line = auditLines(gateway).at(-1)!;
    assert.deepEqual(line.shadow, { policy: "Signed only", verdict: "admitted", fault: "none" });
    const metrics = await metricsText(gateway);
    assert.equal(value(metrics, "wss_gateway_shadow_decisions_total", { verdict: "admitted", fault: "none" }), 1);
  });

  test("a signature that does not verify is served as before (required: false refuses it anyway) and the shadow says failed_check", async () => {
    const tampered = signed("original").replace("original", "altered");
    const response = await postSoap(gateway, "incident", tampered, { authorization: basicAuth("alice", "alice-password") });
    assert.equal(response.status, 500);
    assert.equal(textOf(response.body, "faultstring"), "Unable to verify signed request");
    assert.equal(auditLines(gateway).at(-1)!.shadow?.fault, "failed_check");
  });
});

describe("shadow policy equal to the enforced one: the shadow never uses up a signature", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway({
      files: files({ required: true, defaultPolicy: "Signed only", shadowPolicy: "Signed only" }),
      extra: { "partner.pem": partner.certPem },
    });
  });
  after(() => gateway.close());

  test("a signed request is accepted once under enforcement although the shadow evaluated it first; its replay is refused by both", async () => {
    const xml = signed("sent twice");
    const first = await postSoap(gateway, "incident", xml, { authorization: basicAuth("alice", "alice-password") });
    assert.equal(first.status, 200, first.body);
    const second = await postSoap(gateway, "incident", xml, { authorization: basicAuth("alice", "alice-password") });
    assert.equal(second.status, 500);
    assert.equal(textOf(second.body, "faultstring"), "WS-Security message replayed");
    assert.equal(gateway.rows("incident").length, 1);
    assert.deepEqual(
      auditLines(gateway).map((line) => [line.status, line.shadow?.verdict, line.shadow?.fault]),
      [
        [200, "admitted", "none"],
        [500, "refused", "replayed"],
      ],
    );
  });
});

describe("the shadow's replay check reads the cache and never records (engine level)", () => {
  const configDir = makeConfigDir(files({ required: true, defaultPolicy: "Signed only", shadowPolicy: "Signed only" }), { "partner.pem": partner.certPem });
  const config = loadConfig(configDir);

  test("shadow evaluated three times, then the enforced decision admits once and refuses the replay", async () => {
    const clock = new ManualClock();
    const cache = new MemoryReplayCache(clock);
    const xml = signEnvelope(insert("engine"), { key: partner.keyPem, cert: partner.certPem, timestampSeconds: 300, clock });
    const input = () => ({ config, envelope: parseRequest(xml), basicUser: undefined, clock, replay: reservingReplayGuard(cache) });
    for (let i = 0; i < 3; i++) assert.equal((await evaluateShadowPolicy(input(), "Signed only")).kind, "admitted");
    assert.equal(await cache.size(), 0);
    assert.equal((await decideWsSecurity(input())).kind, "admitted");
    const replay = await decideWsSecurity(input());
    assert.equal(replay.kind === "refused" ? replay.fault : replay.kind, "replayed");
    const shadowAfter = await evaluateShadowPolicy(input(), "Signed only");
    assert.equal(shadowAfter.kind === "refused" ? shadowAfter.fault : shadowAfter.kind, "replayed");
  });

  test("an internal integration user is evaluated by the shadow policy too (no bypass)", async () => {
    const clock = new ManualClock();
    const account = config.users.get("mid.server")!;
    const input = { config, envelope: parseRequest(insert("mid")), basicUser: account, clock, replay: reservingReplayGuard(new MemoryReplayCache(clock)) };
    assert.equal((await decideWsSecurity(input)).kind, "bypassed");
    const shadow = await evaluateShadowPolicy(input, "Signed only");
    assert.equal(shadow.kind === "refused" ? shadow.fault : shadow.kind, "not_signed");
  });
});
