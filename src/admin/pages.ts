/**
 * The admin console's pages, rendered on the server from the running
 * configuration and the (cluster-wide) admin snapshot. Every value goes
 * through the escaping `html` template (src/admin/html.ts); no page carries
 * a script, an inline style or a form, and none shows password material,
 * keys or nonces: users show their roles and whether a password is set.
 */
import type { GatewayConfig, UserAccount, WssProfile } from "../config/types.js";
import { certificateInventory, describeUse } from "../observability/certificate-inventory.js";
import { selectPolicy } from "../wss/policy.js";
import { html, type SafeHtml } from "./html.js";
import { rateChart } from "./rates.js";
import type { AdminSnapshot, ReloadRecord } from "./snapshot.js";

export const ADMIN_PAGES = {
  "/admin/": "Overview",
  "/admin/policies": "Policies and profiles",
  "/admin/certificates": "Certificates",
  "/admin/users": "Users and roles",
  "/admin/refusals": "Refused requests",
  "/admin/shadow": "Shadow report",
} as const;
export type AdminPagePath = keyof typeof ADMIN_PAGES;

export interface PageInput {
  readonly config: GatewayConfig;
  readonly snapshot: AdminSnapshot;
  readonly now: Date;
  /** The signed-in admin. */
  readonly userName: string;
  /** Workers that answered of those asked (1 of 1 without --workers). */
  readonly coverage: { readonly answered: number; readonly asked: number };
}

const DAY_MS = 86_400_000;

export function renderPage(path: AdminPagePath, input: PageInput): string {
  const body = PAGE_BODIES[path](input);
  return layout(path, input, body).text;
}

const PAGE_BODIES: Record<AdminPagePath, (input: PageInput) => SafeHtml> = {
  "/admin/": overview,
  "/admin/policies": policies,
  "/admin/certificates": certificates,
  "/admin/users": users,
  "/admin/refusals": refusals,
  "/admin/shadow": shadow,
};

function layout(path: AdminPagePath, input: PageInput, body: SafeHtml): SafeHtml {
  const nav = (Object.entries(ADMIN_PAGES) as [AdminPagePath, string][]).map(
    ([href, title]) => html`<li><a href="${href}"${href === path ? html` aria-current="page"` : ""}>${title}</a></li>`,
  );
  const coverage =
    input.coverage.asked > 1 || input.coverage.answered !== input.coverage.asked
      ? html`<p class="coverage">Data of ${input.coverage.answered} of ${input.coverage.asked} workers.</p>`
      : "";
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${ADMIN_PAGES[path]} · wss-gateway admin</title><link rel="stylesheet" href="/admin/admin.css"></head>
<body><header><p class="brand">wss-gateway admin <span class="readonly">read-only</span></p><p class="who">Signed in as <strong>${input.userName}</strong> · ${input.now.toISOString()}</p>
<nav><ul>${nav}</ul></nav></header>
<main><h1>${ADMIN_PAGES[path]}</h1>${coverage}${body}</main></body></html>
`;
}

function overview(input: PageInput): SafeHtml {
  const { config, snapshot } = input;
  const wss = config.gateway.wsSecurity;
  const shadowRefused = snapshot.shadow.filter((count) => count.verdict === "refused").reduce((sum, count) => sum + count.count, 0);
  return html`<section><h2>Request and refusal rates</h2>${rateChart(snapshot.rates, input.now.getTime())}</section>
<section><h2>Last configuration reload</h2>${reloadSummary(snapshot.lastReload)}</section>
<section><h2>At a glance</h2><dl class="facts">
<dt>Enforced policy</dt><dd>${wss.required ? wss.defaultPolicy : html`none: <code>ws_security.required</code> is false`}</dd>
<dt>Shadow policy</dt><dd>${wss.shadowPolicy ?? "none configured"}</dd>
<dt>Shadow refusals counted</dt><dd>${shadowRefused}</dd>
<dt>Refused requests kept</dt><dd>${snapshot.refusals.length}</dd>
<dt>Published tables</dt><dd>${[...config.tables.keys()].join(", ")}</dd>
<dt>Configuration directory</dt><dd><code>${config.dir}</code></dd>
</dl></section>`;
}

function reloadSummary(record: ReloadRecord | undefined): SafeHtml {
  if (!record) return html`<p>No reload yet.</p>`;
  switch (record.kind) {
    case "loaded":
      return html`<p class="ok">Loaded at start, ${record.at}; not reloaded since.</p>`;
    case "reloaded":
      return html`<p class="ok">Reloaded (${record.trigger}) at ${record.at}: ok.</p>`;
    case "refused":
      return html`<p class="refused">Reload (${record.trigger}) at ${record.at} was refused; the previous configuration stays. Problems:</p>
<ul class="problems">${record.problems.map((problem) => html`<li><code>${problem}</code></li>`)}</ul>`;
    default: {
      const unreachable: never = record;
      return unreachable;
    }
  }
}

function policies(input: PageInput): SafeHtml {
  const { config } = input;
  const wss = config.gateway.wsSecurity;
  const enforced = html`<div class="policy-column"><h2>Enforced${wss.required ? "" : " (not applied: ws_security.required is false)"}</h2>${policyCard(config, wss.defaultPolicy)}</div>`;
  const shadowColumn = wss.shadowPolicy
    ? html`<div class="policy-column shadow"><h2>Shadow (report-only)</h2>${policyCard(config, wss.shadowPolicy)}</div>`
    : html`<div class="policy-column shadow"><h2>Shadow (report-only)</h2><p>No <code>ws_security.shadow_policy</code> configured.</p></div>`;
  const others = config.policies.filter((policy) => policy.name !== wss.defaultPolicy && policy.name !== wss.shadowPolicy);
  return html`<p>Profiles run in ascending <code>order</code>; inactive profiles are not evaluated. Internal integration users skip the enforced policy, not the shadow one.</p>
<div class="policy-columns">${enforced}${shadowColumn}</div>
<h2>Other policies</h2>${others.length === 0 ? html`<p>None.</p>` : others.map((policy) => html`<div class="policy-other">${policyCard(config, policy.name)}</div>`)}
<h2>All profiles, in evaluation order</h2>${profileTable(config, config.profiles)}`;
}

function policyCard(config: GatewayConfig, name: string): SafeHtml {
  const declared = config.policies.find((policy) => policy.name === name);
  if (declared?.type === "outbound") return html`<h3>${name}</h3><p>Outbound policy: used by <code>wss-gateway call</code>, never for inbound requests.</p>`;
  const selected = selectPolicy(config, name);
  if (selected.kind !== "policy") return html`<h3>${name}</h3><p class="refused">Not defined.</p>`;
  const policy = selected.policy;
  const title = policy.name ?? "No policies defined: every active profile";
  return html`<h3>${title}</h3><p>require_signed: <strong>${String(policy.requireSigned)}</strong>, authenticate: <strong>${policy.authenticate}</strong></p>
${policy.profiles.length === 0 ? html`<p class="refused">No active profile: every request → No profiles to authenticate.</p>` : html`<ol class="profiles">${policy.profiles.map((profile) => html`<li>${profileSummary(profile)}</li>`)}</ol>`}`;
}

function profileSummary(profile: WssProfile): SafeHtml {
  const detail =
    profile.kind === "x509"
      ? html`x509, run as <code>${profile.runAsUser}</code>`
      : profile.action === "specify_user"
        ? html`username (specify_user <code>${profile.username}</code>), run as <code>${profile.runAsUser}</code>`
        : html`username (authenticate_with_user by ${profile.userField})`;
  return html`<strong>${profile.name}</strong> <span class="muted">order ${profile.order}</span> — ${detail}${profile.bindSession ? " · binds the session" : ""}`;
}

function profileTable(config: GatewayConfig, profiles: readonly WssProfile[]): SafeHtml {
  const usedBy = (name: string) => config.policies.filter((policy) => policy.profiles.includes(name)).map((policy) => policy.name);
  return html`<table><thead><tr><th>Order</th><th>Profile</th><th>Type</th><th>Active</th><th>Binds session</th><th>In policies</th></tr></thead><tbody>
${profiles.map(
  (profile) =>
    html`<tr${profile.active ? "" : html` class="inactive"`}><td>${profile.order}</td><td>${profile.name}</td><td>${profile.kind === "x509" ? "x509" : `username / ${profile.action}`}</td><td>${profile.active ? "yes" : "no"}</td><td>${profile.bindSession ? "yes" : "no"}</td><td>${usedBy(profile.name).join(", ")}</td></tr>`,
)}</tbody></table>`;
}

function certificates(input: PageInput): SafeHtml {
  const warningDays = input.config.gateway.certificateExpiryWarningDays;
  const entries = certificateInventory(input.config);
  if (entries.length === 0) return html`<p>No certificates configured.</p>`;
  const rows = entries.map((entry) => {
    const certificate = entry.certificate;
    const days = Math.floor((certificate.notAfter.getTime() - input.now.getTime()) / DAY_MS);
    const state = days < 0 ? "expired" : days <= warningDays ? "expiring" : "valid";
    return html`<tr class="${state}"><td><code>${entry.relativePath}</code></td><td>${certificate.subject}</td><td>${certificate.issuer}</td><td><code>${certificate.x509.serialNumber.toLowerCase()}</code></td>
<td>${certificate.keyType} ${certificate.keyBits}</td><td><code class="fingerprint">${colonHex(certificate.fingerprintSha256)}</code></td>
<td>${certificate.notAfter.toISOString()}</td><td class="days">${days < 0 ? `expired ${-days} days ago` : `${days} days`}</td><td>${entry.uses.map((use) => html`<div>${describeUse(use)}</div>`)}</td></tr>`;
  });
  return html`<p>Highlighted: expiring within <code>certificate_expiry_warning_days</code> (${warningDays} days) or expired.</p>
<table><thead><tr><th>File</th><th>Subject</th><th>Issuer</th><th>Serial (hex)</th><th>Key</th><th>SHA-256 fingerprint</th><th>Not after</th><th>Expires in</th><th>Used by</th></tr></thead><tbody>${rows}</tbody></table>`;
}


function colonHex(hex: string): string {
  return (hex.match(/../g) ?? []).join(":").toUpperCase();
}

function users(input: PageInput): SafeHtml {
  const rows = [...input.config.users.values()]
    .sort((a, b) => a.userName.localeCompare(b.userName))
    .map(
      (user) =>
        html`<tr${user.active ? "" : html` class="inactive"`}><td>${user.userName}</td><td>${user.email ?? ""}</td><td>${user.roles.map((role) => html`<span class="role">${role}</span> `)}</td>
<td>${user.internalIntegrationUser ? "yes" : "no"}</td><td>${user.active ? "yes" : "no"}</td><td>${passwordState(user)}</td><td>${user.clientCertificateFingerprints.length}</td></tr>`,
    );
  return html`<p>Passwords are never shown: only whether one is set, and whether it can check a UsernameToken PasswordDigest.</p>
<table><thead><tr><th>User</th><th>Email</th><th>Roles</th><th>Internal integration</th><th>Active</th><th>Password</th><th>Client certificates</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function passwordState(user: UserAccount): string {
  switch (user.password.kind) {
    case "scrypt-hash":
      return "set (hash only)";
    case "recoverable":
      return "set (recoverable: PasswordDigest possible)";
    case "none":
      return "none";
    default: {
      const unreachable: never = user.password;
      return unreachable;
    }
  }
}

function refusals(input: PageInput): SafeHtml {
  const entries = input.snapshot.refusals;
  if (entries.length === 0) return html`<p>No refused request since start.</p>`;
  return html`<p>The last ${entries.length} refused requests, newest first, each with the trace of its decision.</p>
${entries.map(
  (entry) => html`<details class="refusal"><summary><span class="status">${entry.status}</span> ${entry.at} · ${entry.basicUser ?? "(no user)"} · ${entry.method} ${entry.path}${entry.operation ? ` · ${entry.operation}` : ""} — <span class="answer">${entry.answer}</span></summary>
<dl class="facts"><dt>Request id</dt><dd><code>${entry.requestId}</code></dd><dt>Client</dt><dd>${entry.clientAddress}</dd><dt>Table</dt><dd>${entry.table ?? ""}</dd><dt>Policy</dt><dd>${entry.policy ?? ""}</dd>
<dt>Reason</dt><dd>${entry.reason ?? ""}</dd>${entry.shadow ? html`<dt>Shadow</dt><dd>${entry.shadow.policy}: ${entry.shadow.verdict} (${entry.shadow.fault})</dd>` : ""}</dl>
${entry.trace.length > 0 ? html`<ol class="trace">${entry.trace.map((step) => html`<li>${step}</li>`)}</ol>` : html`<p class="muted">No WS-Security trace (refused before or after that stage).</p>`}</details>`,
)}`;
}

function shadow(input: PageInput): SafeHtml {
  const name = input.config.gateway.wsSecurity.shadowPolicy;
  const counts = input.snapshot.shadow;
  const intro = name
    ? html`<p>Shadow policy <strong>${name}</strong> is evaluated beside the enforced decision on every SOAP request and changes nothing. Below: who would be refused if it were enforced, and why.</p>`
    : html`<p>No <code>ws_security.shadow_policy</code> configured${counts.length > 0 ? " now; the counts below are from before the last reload" : ""}.</p>`;
  const admitted = counts.filter((count) => count.verdict === "admitted").reduce((sum, count) => sum + count.count, 0);
  const refused = counts.filter((count) => count.verdict === "refused");
  const byFault = new Map<string, number>();
  for (const count of refused) byFault.set(count.fault, (byFault.get(count.fault) ?? 0) + count.count);
  const faults = [...byFault.keys()].sort();
  const byUser = new Map<string, Map<string, number>>();
  for (const count of refused) {
    const row = byUser.get(count.user) ?? new Map<string, number>();
    row.set(count.fault, (row.get(count.fault) ?? 0) + count.count);
    byUser.set(count.user, row);
  }
  const total = refused.reduce((sum, count) => sum + count.count, 0);
  return html`${intro}<p>Would be admitted: <strong>${admitted}</strong> · would be refused: <strong>${total}</strong></p>
${faults.length === 0 ? html`<p>No request would have been refused.</p>` : html`<h2>By fault</h2><table><thead><tr><th>Fault</th><th>Requests</th></tr></thead><tbody>${faults.map((fault) => html`<tr><td><code>${fault}</code></td><td>${byFault.get(fault) ?? 0}</td></tr>`)}</tbody></table>
<h2>By basic user</h2><table class="shadow-users"><thead><tr><th>User</th>${faults.map((fault) => html`<th><code>${fault}</code></th>`)}</tr></thead><tbody>
${[...byUser]
  .sort((a, b) => a[0].localeCompare(b[0]))
  .map(([user, row]) => html`<tr><td>${user}</td>${faults.map((fault) => html`<td>${row.get(fault) ?? ""}</td>`)}</tr>`)}</tbody></table>
<p class="muted">Users beyond the first 50 seen by a worker are counted as "other".</p>`}`;
}
