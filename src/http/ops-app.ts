/**
 * The second listener of `serve --metrics-port N` (SPEC §1): /healthz,
 * /readyz and /metrics (no login) and the read-only admin console under
 * /admin/ (users holding `admin`). Nothing else is served here, and the SOAP
 * port then answers 404 for /metrics and /readyz and never serves /admin/.
 * Its requests are logged (the admin console's with the user who signed
 * in) but not counted in the SOAP request metrics.
 */
import Koa from "koa";
import { randomUUID } from "node:crypto";
import { verifiedClientCertificateFingerprint } from "../auth/client-certificate.js";
import { isAdminPath, serveAdmin, type SnapshotSource } from "../admin/console.js";
import type { AuditRecord } from "../observability/audit.js";
import { serviceEndpoint } from "../pipeline/service-endpoints.js";
import { writeResponse } from "./respond.js";
import type { GatewayServices } from "./services.js";
import type { GatewayResponse, RequestState, Route } from "./state.js";

const OPS_PATHS: Readonly<Record<string, Route>> = { "/healthz": { kind: "healthz" }, "/readyz": { kind: "readyz" }, "/metrics": { kind: "metrics" } };

export function createOpsApp(services: GatewayServices, adminSnapshots: SnapshotSource): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.silent = true;
  app.use(async (ctx) => {
    const requestId = randomUUID();
    const clientAddress = ctx.req.socket.remoteAddress ?? "unknown";
    const config = services.configs.current();
    const audit: AuditRecord = { requestId, clientAddress, method: ctx.method, path: ctx.path };
    const startedAt = process.hrtime.bigint();
    let response: GatewayResponse;
    try {
      response = await answer(ctx, services, adminSnapshots, { config, audit, clientAddress });
    } catch (error) {
      audit.reason = `internal error: ${error instanceof Error ? error.message.slice(0, 200) : "unknown"}`;
      response = { kind: "http-error", status: 503, message: "temporarily unavailable" };
    }
    writeResponse(ctx, response);
    ctx.set("X-Request-Id", requestId);
    audit.status = ctx.status;
    audit.outcome = response.kind === "http-error" ? "http-error" : "ok";
    audit.latencyMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
    if (isAdminPath(ctx.path)) services.logger.info({ audit }, "admin request");
    else services.logger.debug({ audit }, "request");
  });
  return app;
}

async function answer(
  ctx: Koa.ParameterizedContext<RequestState>,
  services: GatewayServices,
  adminSnapshots: SnapshotSource,
  request: { readonly config: RequestState["config"]; readonly audit: AuditRecord; readonly clientAddress: string },
): Promise<GatewayResponse> {
  if (isAdminPath(ctx.path)) {
    return serveAdmin(
      {
        method: ctx.method,
        path: ctx.path,
        authorization: ctx.get("Authorization") || undefined,
        clientCertificateFingerprint: verifiedClientCertificateFingerprint(ctx.req.socket),
        clientAddress: request.clientAddress,
        config: request.config,
        audit: request.audit,
      },
      services,
      adminSnapshots,
    );
  }
  const route = Object.hasOwn(OPS_PATHS, ctx.path) ? OPS_PATHS[ctx.path] : undefined;
  if (!route) return { kind: "http-error", status: 404, message: "no such endpoint" };
  if (ctx.method !== "GET" && ctx.method !== "HEAD") return { kind: "http-error", status: 405, message: "method not allowed", headers: { Allow: "GET, HEAD" } };
  return (await serviceEndpoint(route, request.config, services)) ?? { kind: "http-error", status: 404, message: "no such endpoint" };
}
