/**
 * The admin console in a real browser: Debian's Chromium (/usr/bin/chromium,
 * never a downloaded one) driven by puppeteer-core, headless, with a fresh
 * profile. Every page is checked for its content, the CSP header, that the
 * stylesheet applies under that CSP, that hostile names (<script> in a user,
 * a profile and a role name) show as text and never run, and that an inline
 * script injected into the page is blocked by the CSP; 401 and 403 for
 * non-admins. Screenshots go to test-artifacts/admin-console/ (gitignored).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "puppeteer-core";
import { adminAuth, HOSTILE_PROFILE, HOSTILE_ROLE, HOSTILE_USER, startAdminFixture, type AdminFixture } from "../helpers/admin-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-artifacts/admin-console");
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (Debian package chromium): browser tests of the admin console skipped`;

interface PageCheck {
  readonly path: string;
  readonly name: string;
  readonly heading: string;
  /** Text the page must show (as rendered text, so hostile names appear literally). */
  readonly shows: readonly string[];
}

const PAGES: readonly PageCheck[] = [
  { path: "", name: "overview", heading: "Overview", shows: ["Request and refusal rates", "was refused; the previous configuration stays", "acls.yaml:3: acls[0].operation", "Signed only"] },
  { path: "policies", name: "policies", heading: "Policies and profiles", shows: ["Shadow (report-only)", "Current", "Signed only", HOSTILE_PROFILE, "Expiring partner"] },
  { path: "certificates", name: "certificates", heading: "Certificates", shows: ["expiring.pem", "partner.pem", "CN=partner.example"] },
  { path: "users", name: "users", heading: "Users and roles", shows: [HOSTILE_USER, HOSTILE_ROLE, "mid.server", "set (hash only)"] },
  { path: "refusals", name: "refusals", heading: "Refused requests", shows: ["Unable to verify signed request", "HTTP 401: authentication required", HOSTILE_USER] },
  { path: "shadow", name: "shadow", heading: "Shadow report", shows: ["not_signed", "failed_check", "mid.server", "alice", HOSTILE_USER] },
];

describe("admin console in headless Chromium", { skip }, () => {
  let fixture: AdminFixture;
  let browser: Browser;
  let userDataDir: string;

  before(async () => {
    fixture = await startAdminFixture();
    let puppeteer;
    try {
      puppeteer = (await import("puppeteer-core")).default;
    } catch {
      throw new Error("puppeteer-core is not installed: run npm install (it is a devDependency in package.json)");
    }
    userDataDir = mkdtempSync(join(tmpdir(), "wss-gateway-chromium-"));
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      protocolTimeout: 120_000,
    });
  });

  after(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await fixture?.gateway.close();
  });

  async function openAs(authorization: string | undefined): Promise<Page> {
    const page = await browser.newPage();
    if (authorization) await page.setExtraHTTPHeaders({ Authorization: authorization });
    return page;
  }

  for (const check of PAGES) {
    test(`${check.name}: content, CSP header, stylesheet applied, hostile names shown as text and not run`, async () => {
      const page = await openAs(adminAuth());
      try {
        const response = await page.goto(`${fixture.adminUrl}${check.path}`, { waitUntil: "load" });
        assert.equal(response?.status(), 200);
        assert.equal(response?.headers()["content-security-policy"], EXPECTED_CSP);
        await page.$$eval("details", (elements) => elements.forEach((element) => ((element as HTMLDetailsElement).open = true)));
        const seen = await page.evaluate(() => ({
          heading: document.querySelector("h1")?.textContent,
          text: document.body.innerText,
          scripts: document.querySelectorAll("script").length,
          images: document.querySelectorAll("img").length,
          pwned: (window as unknown as { __pwned?: string }).__pwned,
          headerBackground: getComputedStyle(document.querySelector("header")!).backgroundColor,
        }));
        assert.equal(seen.heading, check.heading);
        for (const text of check.shows) assert.ok(seen.text.includes(text), `${check.name} should show ${JSON.stringify(text)}`);
        assert.equal(seen.scripts, 0, "no script element on the page");
        assert.equal(seen.images, 0, "a hostile <img> name did not become an element");
        assert.equal(seen.pwned, undefined, "no hostile name ran");
        assert.equal(seen.headerBackground, "rgb(29, 36, 48)", "the stylesheet from 'self' applies under the CSP");
        await page.screenshot({ path: join(ARTIFACTS, `${check.name}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }

  test("an inline script injected into a page is blocked by the CSP", async () => {
    const page = await openAs(adminAuth());
    try {
      await page.goto(`${fixture.adminUrl}users`, { waitUntil: "load" });
      const ran = await page.evaluate(() => {
        const script = document.createElement("script");
        script.textContent = "window.__inline = 'ran'";
        document.body.append(script);
        return (window as unknown as { __inline?: string }).__inline;
      });
      assert.equal(ran, undefined);
    } finally {
      await page.close();
    }
  });

  test("the rate chart is an inline SVG with bars", async () => {
    const page = await openAs(adminAuth());
    try {
      await page.goto(fixture.adminUrl, { waitUntil: "load" });
      const bars = await page.$$eval("figure.chart svg rect.bar-requests", (rects) => rects.length);
      assert.ok(bars >= 1);
    } finally {
      await page.close();
    }
  });

  test("without credentials → 401 with the CSP; a non-admin user → 403; wrong password → 401", async () => {
    // A Basic challenge is answered as a person at the login dialog would: with the credentials given
    // (none: empty ones), and when they are refused again, by cancelling, so the 401 answer is shown.
    const cases: [{ username: string; password: string } | undefined, string | undefined, number, string][] = [
      [{ username: "", password: "" }, undefined, 401, "no-credentials"],
      [undefined, adminAuth("alice", "alice-literal-password"), 403, "non-admin"],
      [{ username: "admin", password: "wrong" }, undefined, 401, "wrong-password"],
    ];
    for (const [dialogAnswer, authorization, status, name] of cases) {
      const page = await openAs(authorization);
      if (dialogAnswer) await page.authenticate(dialogAnswer);
      try {
        const response = await page.goto(`${fixture.adminUrl}users`, { waitUntil: "load" });
        assert.equal(response?.status(), status, name);
        assert.equal(response?.headers()["content-security-policy"], EXPECTED_CSP);
        const text = await page.evaluate(() => document.body.innerText);
        assert.doesNotMatch(text, /mid\.server|alice@example/);
        await page.screenshot({ path: join(ARTIFACTS, `refused-${name}.png`) });
      } finally {
        await page.close();
      }
    }
  });
});
