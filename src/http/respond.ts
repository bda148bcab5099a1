/**
 * The only place that writes responses: it runs the rest of the pipeline,
 * then settles the request's replay reservations (kept only when the
 * operation was executed), writes whatever response a stage settled on (or
 * an internal-error fault if a stage threw), echoes the request id, and logs
 * the audit line.
 */
import type Koa from "koa";
import { randomUUID } from "node:crypto";
import { SoapFault } from "../soap/faults.js";
import { serializeFault, soapContentType } from "../soap/response.js";
import { resolveClient } from "./forwarded.js";
import type { GatewayServices } from "./services.js";
import type { GatewayResponse, RequestState } from "./state.js";
import { recordRequestMetrics } from "../observability/metrics.js";
import { refusalEntry } from "../admin/record-refusal.js";
import { DependencyUnavailableError } from "../dependency.js";
import { releaseTree } from "../xml/tree.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function respond(services: GatewayServices): Koa.Middleware<RequestState> {
  return async (ctx, next) => {
    const incomingId = ctx.get("X-Request-Id");
    const requestId = REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    const config = services.configs.current();
    const client = resolveClient(
      { peer: ctx.req.socket.remoteAddress ?? "unknown", encrypted: "encrypted" in ctx.req.socket, headers: ctx.req.headers },
      config.gateway.trustedProxies,
    );
    const clientAddress = client.address;
    const state: RequestState = {
      requestId,
      clientAddress,
      client,
      startedAt: process.hrtime.bigint(),
      config,
      audit: { requestId, clientAddress, ...(client.peer !== clientAddress ? { proxyAddress: client.peer } : {}), method: ctx.method, path: ctx.path },
    };
    Object.assign(ctx.state, state);
    try {
      await next();
    } catch (error) {
      ctx.state.response = failedResponse(ctx.state, error);
    }
    const response: GatewayResponse = ctx.state.response ?? { kind: "http-error", status: 404, message: "no such endpoint" };
    await settleReplay(ctx.state, response, services);
    // A client that left before its answer (its body never complete, or gone while the request ran) is sent nothing.
    const delivered = response.kind !== "connection-closed" && ctx.writable;
    if (!delivered && response.kind !== "connection-closed") {
      ctx.state.audit.reason = `${ctx.state.audit.reason ? `${ctx.state.audit.reason}; ` : ""}client closed the connection before its answer (${describeUnsent(response)})`;
    }
    writeResponse(ctx, delivered ? response : { kind: "connection-closed" }, requestId);
    logAudit(ctx.state, services, delivered ? ctx.status : response.kind === "connection-closed" ? response.sentByNode : undefined, response);
    // Answered and logged: the parsed tree's pages go to the next request (reading it from here on throws).
    releaseTree(ctx.state.envelope?.document);
  };
}

function describeUnsent(response: GatewayResponse): string {
  switch (response.kind) {
    case "soap-response":
      return "executed; 200 not sent";
    case "soap-fault":
      return `${response.fault.definition.http} ${response.fault.id} not sent`;
    case "http-error":
    case "document":
      return `${response.status} not sent`;
    case "connection-closed":
      return "nothing to send";
    default: {
      const unreachable: never = response;
      return unreachable;
    }
  }
}

/** Seconds a client is asked to wait after `Service temporarily unavailable`. */
const RETRY_AFTER_SECONDS = 5;

/** What a stage's exception becomes: a dependency that failed is 503 (reported where it failed), anything else a 500. */
function failedResponse(state: RequestState, error: unknown): GatewayResponse {
  if (error instanceof DependencyUnavailableError) {
    state.audit.reason = error.message.slice(0, 200);
    if (state.route?.kind !== "soap") {
      return { kind: "http-error", status: 503, message: "Service temporarily unavailable", headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } };
    }
    return { kind: "soap-fault", version: state.soapVersion ?? "1.1", fault: new SoapFault("unavailable") };
  }
  state.audit.reason = `internal error: ${error instanceof Error ? error.message.slice(0, 200) : "unknown"}`;
  return { kind: "soap-fault", version: state.soapVersion ?? "1.1", fault: error instanceof SoapFault ? error : new SoapFault("internal") };
}

/**
 * A signature or nonce counts as used only when its request was executed:
 * any other ending (a wrong table, a bad value, roles/ACLs, a store failure,
 * a 503) releases what the WS-Security decision reserved, before the client
 * hears back, so an immediate retry is not a replay. A release that fails
 * leaves the entry to expire (fail closed).
 */
async function settleReplay(state: RequestState, response: GatewayResponse, services: GatewayServices): Promise<void> {
  if (!state.replay) return;
  const settled = await state.replay.settle(response.kind === "soap-response" ? "executed" : "not-executed");
  if (settled === "release-failed") services.logger.warn({ requestId: state.requestId }, "replay reservation not released (replay cache unavailable)");
}

/**
 * Writes a settled response onto the Koa context (also used by the
 * metrics/admin listener, src/http/ops-app.ts), with `X-Request-Id` when
 * given. A SOAP answer to anything but HEAD is written here, at once: one
 * `writeHead` with its few headers and one `end` with its bytes, the same
 * status line and headers Koa's setters and `respond` would write (Koa is
 * told not to respond: `ctx.respond = false`). Headers set on the response
 * before (`Connection: close` while draining) are kept.
 */
export function writeResponse(ctx: Koa.ParameterizedContext<RequestState>, response: GatewayResponse, requestId?: string): void {
  if ((response.kind === "soap-response" || response.kind === "soap-fault") && ctx.method !== "HEAD") {
    writeSoapAnswer(ctx, response, requestId);
    return;
  }
  if (requestId !== undefined) ctx.set("X-Request-Id", requestId);
  switch (response.kind) {
    case "soap-response":
      ctx.status = 200;
      ctx.type = soapContentType(response.version);
      ctx.body = response.xml;
      return;
    case "soap-fault":
      ctx.status = response.fault.definition.http;
      if (ctx.status === 503) ctx.set("Retry-After", String(RETRY_AFTER_SECONDS));
      for (const [name, value] of Object.entries(response.headers ?? {})) ctx.set(name, value);
      ctx.type = soapContentType(response.version);
      ctx.body = serializeFault(response.version, response.fault);
      return;
    case "http-error":
      ctx.status = response.status;
      for (const [name, value] of Object.entries(response.headers ?? {})) ctx.set(name, value);
      ctx.type = "text/plain; charset=utf-8";
      ctx.body = `${response.message}\n`;
      return;
    case "document":
      ctx.status = response.status;
      for (const [name, value] of Object.entries(response.headers ?? {})) ctx.set(name, value);
      ctx.type = response.contentType;
      ctx.body = response.body;
      return;
    case "connection-closed":
      // Nothing can be sent; the connection is gone or going (ends it if Node has not yet).
      ctx.respond = false;
      ctx.res.destroy();
      return;
    default: {
      const unreachable: never = response;
      return unreachable;
    }
  }
}

function writeSoapAnswer(ctx: Koa.ParameterizedContext<RequestState>, response: GatewayResponse & { kind: "soap-response" | "soap-fault" }, requestId: string | undefined): void {
  const headers: string[] = [];
  let status: number;
  let body: Buffer;
  if (response.kind === "soap-response") {
    status = 200;
    body = response.xml;
  } else {
    status = response.fault.definition.http;
    body = Buffer.from(serializeFault(response.version, response.fault), "utf8");
    if (status === 503) headers.push("Retry-After", String(RETRY_AFTER_SECONDS));
    for (const name in response.headers) headers.push(name, response.headers[name]!);
  }
  headers.push("Content-Type", soapContentType(response.version), "Content-Length", String(body.length));
  if (requestId !== undefined) headers.push("X-Request-Id", requestId);
  ctx.respond = false;
  ctx.res.writeHead(status, headers);
  ctx.res.end(body);
}

/**
 * `status` is the HTTP status the client was sent (SPEC §7); a client that
 * closed the connection first was sent none: outcome `client-closed`, no
 * status (the metric's `status` label is empty), the reason says what
 * happened.
 */
function logAudit(state: RequestState, services: GatewayServices, status: number | undefined, response: GatewayResponse): void {
  const audit = state.audit;
  if (status !== undefined) audit.status = status;
  audit.latencyMs = Number(process.hrtime.bigint() - state.startedAt) / 1e6;
  audit.outcome =
    status === undefined ? "client-closed" : response.kind === "soap-fault" ? "fault" : response.kind === "http-error" || response.kind === "connection-closed" ? "http-error" : "ok";
  if (response.kind === "soap-fault") audit.fault = response.fault.id;
  recordRequestMetrics(services.metrics, audit);
  const refusal = status === undefined ? undefined : refusalEntry(state, status, response, services.clock.now());
  if (refusal) services.admin.refusals.record(refusal);
  const route = state.route?.kind;
  if (route === "healthz" || route === "readyz" || route === "metrics") {
    services.logger.debug({ audit }, "request");
  } else {
    services.logger.info({ audit }, "request");
  }
}
