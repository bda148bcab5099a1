/**
 * Certificate renewal reminders and TLS rotation (SPEC §2
 * `certificate_expiry_warning_days`; issue 12 #3): every certificate within
 * the window — pinned, CA, client and the TLS server certificate — is logged
 * as a warning at start and on reload (and daily); its notAfter is exported
 * as wss_gateway_certificate_not_after_timestamp_seconds; the TLS server
 * certificate and key are re-read on reload (SIGHUP), a mismatched pair is
 * refused and the running certificate stays.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { startGateway, type RunningGateway } from "../../src/http/server.js";
import { makeConfigDir } from "../helpers/config-dir.js";
import { makeCertificate, type TestCertificate } from "../helpers/openssl-certificate.js";
import { samples } from "../helpers/prometheus.js";

const DAY_MS = 24 * 60 * 60 * 1000;

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

describe("certificate expiry reminders and TLS certificate reload", () => {
  let dir: string;
  let tlsNow: TestCertificate;
  let tlsNext: TestCertificate;
  let partner: TestCertificate;
  let gateway: RunningGateway;
  const lines: Record<string, unknown>[] = [];
  const certFile = () => join(dir, "tls.pem");
  const keyFile = () => join(dir, "tls.key");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wss-expiry-"));
    tlsNow = makeCertificate(dir, "tls-now", { key: "rsa2048", subject: "/CN=127.0.0.1", notAfter: new Date(Date.now() + 10 * DAY_MS + 3_600_000) });
    tlsNext = makeCertificate(dir, "tls-next", { key: "rsa2048", subject: "/CN=127.0.0.1", notAfter: new Date(Date.now() + 400 * DAY_MS) });
    partner = makeCertificate(dir, "partner", { key: "rsa2048", notAfter: new Date(Date.now() + 5 * DAY_MS + 3_600_000) });
    copyFileSync(tlsNow.certPath, certFile());
    copyFileSync(tlsNow.keyPath, keyFile());
    const configDir = makeConfigDir(
      {
        profiles: "profiles:\n  - name: Partner\n    type: x509\n    bind_session: true\n    run_as_user: alice\n    certificate: certs/partner.pem\n",
      },
      { "certs/partner.pem": partner.certPem },
    );
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    gateway = await startGateway({
      configDir,
      host: "127.0.0.1",
      port: 0,
      store: `sqlite:${join(dir, "gateway.db")}`,
      logger: pino({ level: "info", base: undefined }, destination),
      tls: { certFile: certFile(), keyFile: keyFile() },
    });
  });
  after(() => gateway.close());

  function fetch(path: string): Promise<{ status: number; body: string; peerFingerprint: string }> {
    const url = new URL(path, gateway.url);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, rejectUnauthorized: false, agent: false },
        (res) => {
          const peerFingerprint = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().fingerprint256;
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body, peerFingerprint }));
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  const warnings = (trigger: string) => lines.filter((line) => line.level === 40 && line.trigger === trigger);

  test("at start: a warning for the pinned certificate (5 days left) and the TLS certificate (10 days left)", () => {
    const atStart = warnings("start");
    assert.deepEqual(
      atStart.map((line) => [line.msg, line.certificate, line.daysLeft, line.usedBy]),
      [
        ["certificate expires within 30 days: renew it", "certs/partner.pem", 5, 'profile "Partner" (certificate)'],
        ["certificate expires within 30 days: renew it", certFile(), 10, "TLS server certificate (--tls-cert)"],
      ],
    );
  });

  test("/metrics: wss_gateway_certificate_not_after_timestamp_seconds for the pinned and the TLS certificate", async () => {
    const metrics = await fetch("/metrics");
    assert.equal(metrics.status, 200);
    const notAfter = (pem: string) => Math.floor(new Date(new X509Certificate(pem).validTo).getTime() / 1000);
    const byUse = Object.fromEntries(samples(metrics.body, "wss_gateway_certificate_not_after_timestamp_seconds").map((s) => [s.labels.use, s]));
    assert.equal(byUse.certificate?.value, notAfter(partner.certPem));
    assert.equal(byUse.certificate?.labels.profile, "Partner");
    assert.equal(byUse.tls?.value, notAfter(tlsNow.certPem));
    assert.equal(byUse.tls?.labels.path, certFile());
  });

  test("reload with a mismatched certificate and key → refused, the running TLS certificate stays", async () => {
    copyFileSync(tlsNext.certPath, certFile()); // the key is still tls-now's
    await gateway.reload("SIGHUP");
    assert.ok(lines.some((line) => line.msg === "TLS certificate reload refused; the running certificate stays"));
    assert.equal((await fetch("/healthz")).peerFingerprint, fingerprintOf(tlsNow.certPem));
  });

  test("reload (SIGHUP) after renewing the TLS certificate: new connections get the new one; the reminder runs again", async () => {
    copyFileSync(tlsNext.keyPath, keyFile());
    const before = warnings("reload").length;
    await gateway.reload("SIGHUP");
    const answer = await fetch("/healthz");
    assert.equal(answer.status, 200);
    assert.equal(answer.peerFingerprint, fingerprintOf(readFileSync(tlsNext.certPath, "utf8")));
    const after = warnings("reload").slice(before);
    assert.deepEqual(after.map((line) => line.certificate), ["certs/partner.pem"], "the renewed TLS certificate is no longer inside the window");
  });
});
