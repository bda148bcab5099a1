/**
 * /metrics (SPEC §7) after real traffic: requests by outcome and fault,
 * latency, certificate expiry of every configured certificate of the
 * current configuration, replay-cache size, configuration reloads,
 * throttling and credential failures. Two gateways run in this one process
 * and each shows only its own values.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/clock.js";
import { signEnvelope } from "../../src/wss/sign/index.js";
import { basicAuth, postSoap, soapEnvelope, startTestGateway, textOf, type TestGateway } from "../helpers/gateway.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { samples, value } from "../helpers/prometheus.js";


async function scrape(gateway: TestGateway): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return response.text();
}

function opensslEndDate(certPath: string): Date {
  const output = execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-enddate"], { encoding: "utf8" });
  return new Date(output.trim().replace(/^notAfter=/, ""));
}

function opensslFingerprint(certPath: string): string {
  const output = execFileSync("openssl", ["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" });
  return output.trim().split("=")[1]!.replaceAll(":", "").toLowerCase();
}

const gateways: TestGateway[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

describe("the demo configuration after signed, unsigned and badly authenticated requests", () => {
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const partner = basicAuth("partner.soap", "partner-demo-password");
  let demo: TestGateway;
  let text: string;

  before(async () => {
    demo = await startTestGateway({ configDir: resolve("policies"), clock });
    gateways.push(demo);
    const signed = signEnvelope(soapEnvelope("incident", "insert", "<number>INC-M1</number><short_description>metrics</short_description>"), {
      key: readFileSync("certs/demo-partner.key", "utf8"),
      cert: readFileSync("certs/demo-partner.pem", "utf8"),
      timestampSeconds: 300,
      clock,
    });
    assert.equal((await postSoap(demo, "incident", signed, { authorization: partner })).status, 200);
    const unsigned = await postSoap(demo, "incident", soapEnvelope("incident", "insert", "<number>INC-M2</number>"), { authorization: partner });
    assert.equal(textOf(unsigned.body, "faultstring"), "SOAP request not Signed. Policy requires signing");
    assert.equal((await postSoap(demo, "incident", signed, { authorization: basicAuth("partner.soap", "wrong") })).status, 401);
    text = await scrape(demo);
  });

  test("requests are counted by outcome, fault and status", () => {
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "ok", fault: "", status: "200" }), 1);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "fault", fault: "notSigned", status: "500" }), 1);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "http-error", fault: "", status: "401" }), 1);
  });

  test("latency is a histogram per outcome", () => {
    assert.equal(value(text, "wss_gateway_request_duration_seconds_count", { outcome: "ok" }), 1);
    assert.equal(value(text, "wss_gateway_request_duration_seconds_bucket", { outcome: "ok", le: "+Inf" }), 1);
    const sum = value(text, "wss_gateway_request_duration_seconds_sum", { outcome: "ok" })!;
    assert.ok(sum > 0 && sum < 30, `latency ${sum}s`);
  });

  test("certificate expiry is the seconds until the demo certificate's notAfter, labelled with its profile, path and fingerprint", () => {
    const expected = Math.floor((opensslEndDate("certs/demo-partner.pem").getTime() - clock.now().getTime()) / 1000);
    assert.deepEqual(samples(text, "wss_gateway_certificate_expiry_seconds"), [
      {
        labels: { profile: "Partner certificate", user: "", path: "../certs/demo-partner.pem", fingerprint: opensslFingerprint("certs/demo-partner.pem") },
        value: expected,
      },
    ]);
  });

  test("the replay cache holds the accepted SignatureValue", () => {
    assert.equal(value(text, "wss_gateway_replay_cache_entries"), 1);
  });

  test("a wrong Basic password is a credential failure; nothing is throttled yet", () => {
    assert.equal(value(text, "wss_gateway_credential_failures_total", { source: "basic" }), 1);
    assert.equal(value(text, "wss_gateway_throttle_blocked", { scope: "address" }), 0);
    assert.equal(value(text, "wss_gateway_throttle_blocked", { scope: "user" }), 0);
    assert.deepEqual(
      samples(text, "wss_gateway_throttled_requests_total").map((sample) => sample.value),
      [0, 0, 0],
    );
  });

  test("Node's process metrics are served too", () => {
    assert.ok(value(text, "process_cpu_user_seconds_total") !== undefined);
  });
});

describe("every counter has its series at zero from start (an alert on increase() sees the first event)", () => {
  let text: string;
  before(async () => {
    const fresh = await startTestGateway({ files: {} });
    gateways.push(fresh);
    text = await scrape(fresh);
  });

  test("configuration reloads: success and failure, before any reload", () => {
    assert.equal(value(text, "wss_gateway_config_reloads_total", { result: "failure" }) !== undefined, true);
    assert.ok(value(text, "wss_gateway_config_reloads_total", { result: "success" }) !== undefined);
  });

  test("requests: ok/200, every fault of the catalogue with its HTTP status, every HTTP error status", () => {
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "ok", fault: "", status: "200" }), 0);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "fault", fault: "replayed", status: "500" }), 0);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "fault", fault: "malformed", status: "400" }), 0);
    for (const status of ["401", "408", "413", "429", "503"]) {
      assert.equal(value(text, "wss_gateway_requests_total", { outcome: "http-error", fault: "", status }), 0, status);
    }
    assert.equal(value(text, "wss_gateway_request_duration_seconds_count", { outcome: "fault" }), 0);
    assert.equal(value(text, "wss_gateway_requests_total", { outcome: "client-closed", fault: "", status: "" }), 0);
    assert.equal(value(text, "wss_gateway_request_duration_seconds_count", { outcome: "client-closed" }), 0);
  });

  test("replay epoch markers distrusted (ahead, behind) and the in-flight gauges", () => {
    for (const marker of ["ahead", "behind"]) {
      assert.equal(value(text, "wss_gateway_replay_epoch_marker_distrusted_total", { marker }), 0, marker);
    }
    assert.equal(value(text, "wss_gateway_inflight_requests"), 0);
    assert.equal(value(text, "wss_gateway_inflight_body_bytes"), 0);
  });

  test("dependency errors, admission refusals, throttling and credential failures", () => {
    for (const dependency of ["store", "replay_cache", "throttle_store"]) {
      assert.equal(value(text, "wss_gateway_dependency_errors_total", { dependency }), 0, dependency);
    }
    for (const limit of ["concurrent_requests", "inflight_body_bytes"]) {
      assert.equal(value(text, "wss_gateway_admission_refused_total", { limit }), 0, limit);
    }
    assert.equal(value(text, "wss_gateway_throttled_requests_total", { scope: "address", action: "refused" }), 0);
    assert.equal(value(text, "wss_gateway_credential_failures_total", { source: "ws-security" }), 0);
    assert.equal(value(text, "wss_gateway_throttle_store_unavailable_total", { operation: "check" }), 0);
  });
});

describe("a second gateway in the same process", () => {
  let pkiDir: string;
  let partnerCert: TestCertificate;
  before(() => {
    pkiDir = mkdtempSync(join(tmpdir(), "metrics-pki-"));
    partnerCert = makeCertificate(pkiDir, "partner", { key: "ec-p256" });
  });
  after(() => rmSync(pkiDir, { recursive: true, force: true }));

  test("throttling is counted (429s, blocked addresses) on its own /metrics only; reloads are counted; expiry follows the current configuration", async () => {
    const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
    const gateway = await startTestGateway({
      clock,
      files: {
        gateway: "basic_auth:\n  required: true\nws_security:\n  required: false\nthrottle:\n  max_failures: 2\n  window_seconds: 60\n  cooldown_seconds: 30\n",
        profiles: "profiles:\n  - name: Partner\n    type: x509\n    order: 1\n    run_as_user: alice\n    certificate: certs/partner.pem\n",
        users: "users:\n  - user_name: alice\n    password: alice-password\n    roles: [soap]\n    client_certificates: [certs/partner.pem]\n",
      },
      extra: { "certs/partner.pem": partnerCert.certPem },
    });
    gateways.push(gateway);
    const before = await scrape(gateway);
    const reloadsBefore = value(before, "wss_gateway_config_reloads_total", { result: "success" }) ?? 0;
    const expirySeconds = Math.floor((opensslEndDate(partnerCert.certPath).getTime() - clock.now().getTime()) / 1000);
    const fingerprint = opensslFingerprint(partnerCert.certPath);
    assert.deepEqual(
      samples(before, "wss_gateway_certificate_expiry_seconds").map((sample) => sample.labels),
      [
        { profile: "Partner", user: "", path: "certs/partner.pem", fingerprint },
        { profile: "", user: "alice", path: "certs/partner.pem", fingerprint },
      ],
    );
    assert.ok(samples(before, "wss_gateway_certificate_expiry_seconds").every((sample) => sample.value === expirySeconds));

    const insert = soapEnvelope("incident", "insert", "<number>X</number>");
    for (let i = 0; i < 2; i++) assert.equal((await postSoap(gateway, "incident", insert, { authorization: basicAuth("mallory", "guess") })).status, 401);
    assert.equal((await postSoap(gateway, "incident", insert, { authorization: basicAuth("alice", "alice-password") })).status, 429);
    assert.equal((await postSoap(gateway, "incident", insert, { authorization: basicAuth("alice", "alice-password") })).status, 429);

    const during = await scrape(gateway);
    assert.equal(value(during, "wss_gateway_throttled_requests_total", { scope: "address", action: "refused" }), 2);
    assert.equal(value(during, "wss_gateway_throttle_blocked", { scope: "address" }), 1);
    assert.equal(value(during, "wss_gateway_credential_failures_total", { source: "basic" }), 2);
    assert.equal(value(during, "wss_gateway_requests_total", { outcome: "http-error", fault: "", status: "429" }), 2);
    assert.equal(value(during, "wss_gateway_replay_cache_entries"), 0);

    clock.advanceSeconds(30);
    assert.equal(value(await scrape(gateway), "wss_gateway_throttle_blocked", { scope: "address" }), 0, "the block has ended");

    writeFileSync(join(gateway.configDir, "profiles.yaml"), "profiles: []\n");
    assert.equal((await gateway.reload()).kind, "reloaded");
    const reloaded = await scrape(gateway);
    assert.equal(value(reloaded, "wss_gateway_config_reloads_total", { result: "success" }), reloadsBefore + 1);
    assert.deepEqual(
      samples(reloaded, "wss_gateway_certificate_expiry_seconds").map((sample) => sample.labels),
      [{ profile: "", user: "alice", path: "certs/partner.pem", fingerprint }],
      "the profile's certificate left with the profile",
    );

    writeFileSync(join(gateway.configDir, "users.yaml"), "users: [oops\n");
    assert.equal((await gateway.reload()).kind, "refused");
    assert.equal(value(await scrape(gateway), "wss_gateway_config_reloads_total", { result: "failure" }), 1);

    const demo = gateways[0]!;
    const demoText = await scrape(demo);
    assert.deepEqual(
      samples(demoText, "wss_gateway_throttled_requests_total").map((sample) => sample.value),
      [0, 0, 0],
      "the demo gateway saw no throttling",
    );
    assert.equal(value(demoText, "wss_gateway_credential_failures_total", { source: "basic" }), 1);
  });
});
