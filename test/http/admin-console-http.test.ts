/**
 * The admin console over real HTTP (the browser test, test/e2e/admin-console-browser.test.ts,
 * renders the same pages in Chromium): only on the --metrics-port listener,
 * only for users holding admin (401 without credentials or with wrong ones,
 * 403 for others), GET/HEAD only, the strict CSP on every answer, escaped
 * hostile names, and no password material, key or nonce on any page.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CONTENT_SECURITY_POLICY } from "../../src/admin/console.js";
import { adminAuth, HOSTILE_PROFILE, HOSTILE_ROLE, HOSTILE_USER, SECRETS, startAdminFixture, type AdminFixture } from "../helpers/admin-fixture.js";
import { escapeHtml } from "../../src/admin/html.js";
import { samples } from "../helpers/prometheus.js";

const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const PAGES = ["", "policies", "certificates", "users", "refusals", "shadow"];

let fixture: AdminFixture;
before(async () => {
  fixture = await startAdminFixture();
});
after(() => fixture.gateway.close());

async function get(path: string, authorization?: string, method = "GET") {
  const response = await fetch(`${fixture.adminUrl}${path}`, { method, headers: authorization ? { Authorization: authorization } : {} });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe("admin console: who may see it", () => {
  test("the CSP constant is the one the issue asks for", () => {
    assert.equal(CONTENT_SECURITY_POLICY, EXPECTED_CSP);
  });

  test("no credentials → 401 with WWW-Authenticate and the CSP", async () => {
    const response = await get("");
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), 'Basic realm="wss-gateway", charset="UTF-8"');
    assert.equal(response.headers.get("content-security-policy"), EXPECTED_CSP);
  });

  test("a wrong admin password → 401; an unknown user → 401", async () => {
    assert.equal((await get("", adminAuth("admin", "admin-passwordX"))).status, 401);
    assert.equal((await get("users", adminAuth("nobody", "x"))).status, 401);
  });

  test("a valid user without the admin role → 403 on every page and on the stylesheet", async () => {
    for (const path of [...PAGES, "admin.css"]) {
      const response = await get(path, adminAuth("alice", "alice-literal-password"));
      assert.equal(response.status, 403, path);
      assert.equal(response.headers.get("content-security-policy"), EXPECTED_CSP);
      assert.doesNotMatch(response.body, /alice@example|Shared secret/);
    }
  });

  test("state-changing methods → 405 with Allow: GET, HEAD, before any sign-in", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const response = await get("users", adminAuth(), method);
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get("allow"), "GET, HEAD");
    }
  });

  test("the SOAP port serves no /admin/, /metrics or /readyz when --metrics-port is given; /healthz stays", async () => {
    const { url } = fixture.gateway;
    for (const path of ["/admin/", "/admin/users", "/metrics", "/readyz"]) {
      const response = await fetch(`${url}${path}`, { headers: { Authorization: adminAuth() } });
      assert.equal(response.status, 404, path);
    }
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${fixture.gateway.metricsUrl}/metrics`)).status, 200);
    assert.equal((await fetch(`${fixture.gateway.metricsUrl}/readyz`)).status, 200);
  });
});

describe("admin console: pages for an admin", () => {
  test("every page: 200 HTML, the CSP, nosniff, no-store, no script element, no inline style, no form", async () => {
    for (const path of PAGES) {
      const response = await get(path, adminAuth());
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(response.headers.get("content-security-policy"), EXPECTED_CSP);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("cache-control"), "no-store");
      assert.doesNotMatch(response.body, /<script|<form|\sstyle=|\son[a-z]+=["']/i, path);
    }
    const css = await get("admin.css", adminAuth());
    assert.equal(css.status, 200);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  });

  test("hostile user, profile and role names are escaped, never markup", async () => {
    const users = (await get("users", adminAuth())).body;
    assert.ok(users.includes(escapeHtml(HOSTILE_USER)));
    assert.ok(users.includes(escapeHtml(HOSTILE_ROLE)));
    const policies = (await get("policies", adminAuth())).body;
    assert.ok(policies.includes(escapeHtml(HOSTILE_PROFILE)));
    const refusals = (await get("refusals", adminAuth())).body;
    assert.ok(refusals.includes(escapeHtml(HOSTILE_USER)));
  });

  test("no page shows a password, a password hash, a private key or a nonce", async () => {
    for (const path of PAGES) {
      const body = (await get(path, adminAuth())).body;
      for (const secret of SECRETS) assert.ok(!body.includes(secret), `${path} shows ${secret}`);
      assert.doesNotMatch(body, /\$scrypt\$|PRIVATE KEY|Nonce/, path);
    }
  });

  test("policies: the enforced and the shadow policy side by side, profiles in order", async () => {
    const body = (await get("policies", adminAuth())).body;
    assert.match(body, /<h2>Enforced \(not applied: ws_security.required is false\)<\/h2><h3>Current<\/h3>/);
    assert.match(body, /<h2>Shadow \(report-only\)<\/h2><h3>Signed only<\/h3><p>require_signed: <strong>true<\/strong>/);
    const order = [...body.matchAll(/<tr(?: class="inactive")?><td>(\d+)<\/td><td>([^<]*(?:&lt;[^<]*)*)<\/td>/g)].map((match) => match[1]);
    assert.deepEqual(order, ["100", "150", "300"]);
  });

  test("certificates: fingerprints, days to expiry, the one inside the warning window highlighted", async () => {
    const body = (await get("certificates", adminAuth())).body;
    assert.ok(body.includes(fixture.fingerprints.partner));
    assert.ok(body.includes(fixture.fingerprints.expiring));
    assert.match(body, /<tr class="expiring"><td><code>expiring\.pem<\/code><\/td>[\s\S]*?<td class="days">(9|10) days<\/td>/);
    assert.match(body, /<tr class="valid"><td><code>partner\.pem<\/code><\/td>/);
  });

  test("users and roles, internal integration users marked, passwords only as 'set'", async () => {
    const body = (await get("users", adminAuth())).body;
    assert.match(body, /<td>mid\.server<\/td><td><\/td><td><span class="role">soap<\/span> <\/td>\n<td>yes<\/td>/);
    assert.match(body, /<td>partner\.soap<\/td>[\s\S]*?<td>set \(hash only\)<\/td>/);
  });

  test("refused requests with their trace: roles, the tampered signature and the wrong password, newest first", async () => {
    const body = (await get("refusals", adminAuth())).body;
    const statuses = [...body.matchAll(/<span class="status">(\d+)<\/span>/g)].map((match) => match[1]);
    assert.deepEqual(statuses, ["500", "500", "401"]);
    assert.match(body, /Insufficient rights to perform insert on incident/);
    assert.match(body, /<li>roles and ACLs: strict_security is on: checking SOAP roles and ACLs for reader<\/li>/);
    assert.match(body, /Unable to verify signed request/);
    assert.match(body, /<ol class="trace"><li>ws_security.required is false: no policy applies<\/li>/);
    assert.match(body, /HTTP 401: authentication required/);
  });

  test("shadow report: who would be refused, by fault", async () => {
    const body = (await get("shadow", adminAuth())).body;
    assert.match(body, /Shadow policy <strong>Signed only<\/strong>/);
    assert.match(body, /Would be admitted: <strong>0<\/strong> · would be refused: <strong>4<\/strong>/);
    assert.match(body, /<tr><td><code>failed_check<\/code><\/td><td>1<\/td><\/tr><tr><td><code>not_signed<\/code><\/td><td>3<\/td><\/tr>/);
    assert.match(body, /<tr><td>reader<\/td><td><\/td><td>1<\/td><\/tr>/);
    assert.match(body, /<tr><td>alice<\/td><td><\/td><td>1<\/td><\/tr>/);
    assert.match(body, /<tr><td>mid\.server<\/td><td><\/td><td>1<\/td><\/tr>/);
    assert.ok(body.includes(`<tr><td>${escapeHtml(HOSTILE_USER)}</td><td>1</td><td></td></tr>`));
  });

  test("overview: the refused reload with its problems, and the rate chart", async () => {
    const metrics = await (await fetch(`${fixture.gateway.metricsUrl}/metrics`)).text();
    const counted = samples(metrics, "wss_gateway_requests_total");
    const total = counted.reduce((sum, sample) => sum + sample.value, 0);
    const refused = counted.filter((sample) => sample.labels.outcome !== "ok").reduce((sum, sample) => sum + sample.value, 0);
    assert.ok(total >= 5 && refused >= 3);
    const body = (await get("", adminAuth())).body;
    assert.match(body, /Reload \(test: broken acls.yaml\) at [0-9T:.-]+Z was refused; the previous configuration stays/);
    assert.match(body, /<code>acls\.yaml:3: acls\[0\]\.operation: [^<]+<\/code>/);
    assert.match(body, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg" role="img" aria-label="(\d+) requests, (\d+) refused in the last 10 minutes/);
    const [, chartTotal, chartRefused] = /aria-label="(\d+) requests, (\d+) refused/.exec(body)!;
    assert.deepEqual([Number(chartTotal), Number(chartRefused)], [total, refused], "the chart counts what the request counter counts");
  });
});
