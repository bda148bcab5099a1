/**
 * The read-only admin console (SPEC §1, §3: `/admin/` on the --metrics-port
 * listener only). Same sign-on as the SOAP endpoint — Basic, or a verified
 * client certificate mapped to a user — but credentials are always required
 * (401 without, even where basic_auth.required is false) and the user must
 * hold `admin` (403 otherwise). Only GET and HEAD; every answer carries a
 * strict Content-Security-Policy (no script runs, nothing is framed, no form
 * posts), and is never cached.
 */
import { parseBasicAuthorization } from "../auth/basic.js";
import { userOfClientCertificate } from "../auth/client-certificate.js";
import type { GatewayConfig } from "../config/types.js";
import type { GatewayResponse } from "../http/state.js";
import type { GatewayServices } from "../http/services.js";
import type { AuditRecord } from "../observability/audit.js";
import { authenticateBasic, unauthorizedResponse } from "../pipeline/basic-auth.js";
import { countCredentialFailure, settleThrottle, throttleClientAddress } from "../pipeline/throttle.js";
import type { ClusterSnapshots } from "../cluster/admin-snapshots.js";
import { ADMIN_PAGES, renderPage, type AdminPagePath } from "./pages.js";
import { mergeSnapshots } from "./snapshot.js";
import { DEFAULT_REFUSAL_LOG_SIZE } from "./refusal-log.js";
import { ADMIN_CSS } from "./style.js";

export const ADMIN_ROLE = "admin";

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const ADMIN_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  /** The verified mutual-TLS client certificate, if any. */
  readonly clientCertificateFingerprint: string | undefined;
  readonly clientAddress: string;
  readonly config: GatewayConfig;
  readonly audit: AuditRecord;
}

/** Every worker's admin snapshot (or this process's alone). */
export type SnapshotSource = () => Promise<ClusterSnapshots>;

export function isAdminPath(path: string): boolean {
  return path === "/admin" || path.startsWith("/admin/");
}

export async function serveAdmin(request: AdminRequest, services: GatewayServices, snapshots: SnapshotSource): Promise<GatewayResponse> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return withAdminHeaders({ kind: "http-error", status: 405, message: "method not allowed: the admin console is read-only", headers: { Allow: "GET, HEAD" } });
  }
  const signIn = await signInAdmin(request, services);
  if (signIn.kind === "refused") return withAdminHeaders(signIn.response);
  const path = request.path === "/admin" ? "/admin/" : request.path;
  if (path === "/admin/admin.css") return { kind: "document", status: 200, contentType: "text/css; charset=utf-8", body: ADMIN_CSS, headers: ADMIN_HEADERS };
  if (!Object.hasOwn(ADMIN_PAGES, path)) return withAdminHeaders({ kind: "http-error", status: 404, message: "no such admin page" });
  const collected = await snapshots();
  const body = renderPage(path as AdminPagePath, {
    config: request.config,
    snapshot: mergeSnapshots(collected.snapshots, DEFAULT_REFUSAL_LOG_SIZE),
    now: services.clock.now(),
    userName: signIn.userName,
    coverage: { answered: collected.snapshots.length, asked: collected.workersAsked },
  });
  return { kind: "document", status: 200, contentType: "text/html; charset=utf-8", body, headers: ADMIN_HEADERS };
}

type SignIn = { readonly kind: "admin"; readonly userName: string } | { readonly kind: "refused"; readonly response: GatewayResponse };

async function signInAdmin(request: AdminRequest, services: GatewayServices): Promise<SignIn> {
  const { config, audit } = request;
  const throttled = settleThrottle(await throttleClientAddress(services.throttle, request.clientAddress), audit, services.metrics);
  if (throttled) return { kind: "refused", response: throttled };
  const claimed = parseBasicAuthorization(request.authorization);
  const fingerprint = request.clientCertificateFingerprint;
  const certificateUser = fingerprint === undefined ? undefined : userOfClientCertificate(config, fingerprint);
  if (claimed.kind === "absent" && certificateUser === undefined) {
    // Never guest, whatever basic_auth.required says.
    audit.reason = "admin console: no credentials";
    return { kind: "refused", response: unauthorizedResponse(config) };
  }
  const result = await authenticateBasic(config, request.authorization, services.credentialCache, fingerprint);
  if (result.kind === "refused") {
    audit.reason = `admin console: ${result.reason}`;
    if (result.credentialFailure) {
      await countCredentialFailure(
        { tracker: services.throttle, metrics: services.metrics, settings: config.gateway.throttle },
        { clientAddress: request.clientAddress, userName: claimed.kind === "basic" ? claimed.credentials.userName : undefined, source: "basic" },
      );
    }
    return { kind: "refused", response: unauthorizedResponse(config) };
  }
  audit.basicUser = result.user.userName;
  if (!result.user.account?.roles.includes(ADMIN_ROLE)) {
    audit.reason = `admin console: ${result.user.userName} does not hold the ${ADMIN_ROLE} role`;
    return { kind: "refused", response: { kind: "http-error", status: 403, message: "the admin console needs the admin role" } };
  }
  return { kind: "admin", userName: result.user.userName };
}

function withAdminHeaders(response: GatewayResponse): GatewayResponse {
  if (response.kind !== "http-error") return response;
  return { ...response, headers: { ...ADMIN_HEADERS, ...response.headers } };
}
