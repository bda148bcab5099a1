/**
 * Adapters for the pipeline stages of src/pipeline/. Each adapter feeds its
 * stage the typed state the earlier stages produced, records the result
 * (and the audit fields it learned), and either continues or settles the
 * response. None of them writes to the HTTP response itself. `pipeline`
 * runs them in order as one Koa middleware (src/http/app.ts lists them).
 */
import type Koa from "koa";
import type { GatewayServices } from "./services.js";
import type { GatewayResponse, RequestState } from "./state.js";
import { routeRequest } from "../pipeline/route.js";
import { readSoapBody, soapVersionOfContentType } from "../pipeline/read-body.js";
import { ADMISSION_RETRY_AFTER_SECONDS } from "../pipeline/admission.js";
import { recordAdmissionRefused } from "../observability/metrics.js";
import { parseSoapEnvelope } from "../pipeline/parse-envelope.js";
import { authenticateParsedBasic, unauthorizedResponse } from "../pipeline/basic-auth.js";
import { parseBasicAuthorization } from "../auth/basic.js";
import { verifiedClientCertificateFingerprint } from "../auth/client-certificate.js";
import { describeService } from "../pipeline/describe-service.js";
import { publicBaseUrl } from "./forwarded.js";
import { checkShadowPolicy, checkWsSecurity } from "../pipeline/ws-security.js";
import { recordShadowDecision } from "../observability/metrics.js";
import { shadowFaultLabel } from "../wss/shadow.js";
import { resolveSessionUser } from "../pipeline/session-user.js";
import { selectOperation } from "../pipeline/select-operation.js";
import { authorizeRequest } from "../pipeline/authorize.js";
import { performOperation } from "../pipeline/run-operation.js";
import { serviceEndpoint } from "../pipeline/service-endpoints.js";
import { SoapFault } from "../soap/faults.js";
import { reservingReplayGuard } from "../replay/guard.js";
import { claimedTokenUser } from "../abuse/claimed-user.js";
import { claimedTokenUserOf, readDigestTokenAttempt } from "../pipeline/digest-token-sign-on.js";
import type { CredentialSource } from "../observability/metrics.js";
import { countCredentialFailure, settleThrottle, throttleClaimedUser, throttleClientAddress } from "../pipeline/throttle.js";

type Context = Koa.ParameterizedContext<RequestState>;
/** A stage settles the response by returning it, or returns undefined to continue. */
export type Stage = (ctx: Context, services: GatewayServices) => Promise<GatewayResponse | undefined> | GatewayResponse | undefined;

/**
 * The stages as one Koa middleware: each runs in turn until one settles the
 * response. (One `app.use()` per stage cost an async frame, a promise and a
 * koa-compose dispatch per stage and request: docs/performance.md, "End to
 * end".) A synchronous stage is not awaited.
 */
export function pipeline(services: GatewayServices, stages: readonly Stage[]): Koa.Middleware<RequestState> {
  return async (ctx) => {
    for (const run of stages) {
      const result = run(ctx, services);
      const response = result instanceof Promise ? await result : result;
      if (response) {
        ctx.state.response = response;
        return;
      }
    }
  };
}

/** Identity, typing a stage function where it is declared. */
export function stage(run: Stage): Stage {
  return run;
}

export const routeStage = stage((ctx) => {
  const result = routeRequest(ctx.state.config, ctx.method, ctx.path, ctx.querystring);
  if (result.kind === "stop") return result.response;
  ctx.state.route = result.route;
  if ("table" in result.route) ctx.state.audit.table = result.route.table.name;
  return undefined;
});

/** With `--metrics-port`, /metrics and /readyz live on that listener only. */
export const opsEndpointsElsewhereStage = stage((ctx) => {
  const kind = ctx.state.route?.kind;
  return kind === "metrics" || kind === "readyz" ? { kind: "http-error", status: 404, message: "no such endpoint" } : undefined;
});

export const serviceEndpointStage = stage((ctx, services) => serviceEndpoint(ctx.state.route!, ctx.state.config, services));

/**
 * Admission (SPEC §2 `limits`, src/pipeline/admission.ts): a slot is taken
 * before the body is read and given back once the response is written; over
 * the limits the request gets 503 + Retry-After with its body unread.
 */
export const admissionStage = stage((ctx, services) => {
  const declared = Number(ctx.get("Content-Length") || "0");
  const result = services.admission.admit(Number.isSafeInteger(declared) && declared > 0 ? declared : 0, ctx.state.config.gateway.limits);
  if (result.kind === "refused") {
    recordAdmissionRefused(services.metrics, result.limit);
    ctx.state.audit.reason = `over limits.max_${result.limit}`;
    return overloadedResponse(ctx);
  }
  const slot = result.slot;
  ctx.res.once("close", () => slot.release()); // answered, or the connection closed: every ending gives the slot back
  ctx.state.admission = slot;
  return undefined;
});

function overloadedResponse(ctx: Context, extraHeaders: Readonly<Record<string, string>> = {}): GatewayResponse {
  const headers = { "Retry-After": String(ADMISSION_RETRY_AFTER_SECONDS), ...extraHeaders };
  if (ctx.state.route?.kind !== "soap") return { kind: "http-error", status: 503, message: "Service temporarily unavailable", headers };
  const contentType = soapVersionOfContentType(ctx.get("Content-Type") || undefined);
  return { kind: "soap-fault", version: contentType.kind === "soap" ? contentType.version : "1.1", fault: new SoapFault("unavailable"), headers: extraHeaders };
}

export const throttleStage = stage(async (ctx, services) =>
  settleThrottle(await throttleClientAddress(services.throttle, ctx.state.clientAddress), ctx.state.audit, services.metrics),
);

export const readBodyStage = stage(async (ctx, services) => {
  if (ctx.state.route?.kind !== "soap") return undefined;
  const slot = ctx.state.admission;
  const chunked = !ctx.get("Content-Length");
  const result = await readSoapBody(ctx.req, {
    maxBodyBytes: ctx.state.config.gateway.limits.maxBodyBytes,
    timeoutMs: services.bodyReadTimeoutMs,
    // A body without Content-Length was admitted at 0 bytes: it is counted as it arrives.
    ...(chunked && slot ? { countChunk: (bytes: number) => slot.countRead(bytes) } : {}),
  });
  switch (result.kind) {
    case "body":
      ctx.state.soapVersion = result.version;
      ctx.state.body = result.body;
      return undefined;
    case "stop":
      return result.response;
    case "over-inflight-limit":
      recordAdmissionRefused(services.metrics, "inflight_body_bytes");
      ctx.state.audit.reason = "over limits.max_inflight_body_bytes while the body was read";
      // The rest of the body is not read: the connection closes once the 503 is out.
      return overloadedResponse(ctx, { Connection: "close" });
    case "connection-closed":
      ctx.state.audit.reason = result.reason;
      return { kind: "connection-closed", ...(result.sentByNode ? { sentByNode: result.sentByNode } : {}) };
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
});

/**
 * Admission (src/pipeline/admission.ts): before it is parsed, a request
 * waits for room among the requests parsed and not yet answered (their
 * memory is about 10x their bodies); no waiting, no promise, when there is room.
 */
export const parseAdmissionStage = stage((ctx) => {
  const slot = ctx.state.admission;
  if (ctx.state.route?.kind !== "soap" || slot === undefined) return undefined;
  const admitted = slot.admitParse(ctx.state.body!.length);
  if (admitted === true) return undefined;
  return admitted.then((room): GatewayResponse | undefined => {
    if (room) return undefined;
    ctx.state.audit.reason = "client closed the connection while its request waited to be parsed";
    return { kind: "connection-closed" };
  });
});

export const parseEnvelopeStage = stage((ctx) => {
  if (ctx.state.route?.kind !== "soap") return undefined;
  const result = parseSoapEnvelope(ctx.state.body!, ctx.state.soapVersion!, ctx.state.config.gateway.limits);
  ctx.state.body = undefined; // the DOM is the request from here on
  switch (result.kind) {
    case "malformed":
      ctx.state.audit.reason = result.reason;
      return { kind: "soap-fault", version: ctx.state.soapVersion!, fault: new SoapFault("malformed") };
    case "not-understood":
      ctx.state.audit.reason = `header ${result.header.qname} must be understood`;
      return { kind: "soap-fault", version: ctx.state.soapVersion!, fault: new SoapFault("mustUnderstand", { header: result.header }) };
    case "envelope":
      ctx.state.envelope = result.envelope;
      return undefined;
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
});

export const basicAuthStage = stage(async (ctx, services) => {
  const authorization = ctx.get("Authorization") || undefined;
  // Without digest_token: configured the query string is not parsed (Koa's ctx.query parses it on every read).
  const digestToken = ctx.state.config.digestToken === undefined ? undefined : readDigestTokenAttempt(ctx.state.config, { headers: ctx.headers, query: ctx.query }, services.clock);
  const basic = parseBasicAuthorization(authorization);
  const claimedUser = (basic.kind === "basic" ? basic.credentials.userName : undefined) ?? claimedTokenUserOf(digestToken);
  const throttled = settleThrottle(await throttleClaimedUser(services.throttle, claimedUser, ctx.state.config.gateway.throttle), ctx.state.audit, services.metrics);
  if (throttled) return throttled;
  const result = await authenticateParsedBasic(
    ctx.state.config,
    basic,
    services.credentialCache,
    verifiedClientCertificateFingerprint(ctx.req.socket),
    digestToken,
  );
  if (result.kind === "refused") {
    const source = digestToken?.claim.kind === "claim" && authorization === undefined ? "digest-token" : "basic";
    if (result.credentialFailure) await countFailure(ctx, services, claimedUser, source);
    ctx.state.audit.reason = result.reason;
    return unauthorizedResponse(ctx.state.config);
  }
  ctx.state.basicUser = result.user;
  ctx.state.audit.signOn = result.signOn;
  ctx.state.audit.basicUser = result.user.userName;
  return undefined;
});

export const describeServiceStage = stage((ctx) => {
  const route = ctx.state.route!;
  if (route.kind !== "wsdl" && route.kind !== "xsd") return undefined;
  return describeService({
    config: ctx.state.config,
    route,
    user: ctx.state.basicUser!,
    endpointUrl: `${publicBaseUrl(ctx.state.config.gateway.publicUrl, ctx.state.client)}/${route.table.name}.do?SOAP`,
  });
});

export const wsSecurityStage = stage(async (ctx, services) => {
  const claimedUser = claimedTokenUser(ctx.state.envelope!);
  const throttled = settleThrottle(await throttleClaimedUser(services.throttle, claimedUser, ctx.state.config.gateway.throttle), ctx.state.audit, services.metrics);
  if (throttled) return throttled;
  const replay = reservingReplayGuard(services.replayCache);
  ctx.state.replay = replay;
  const skewSeconds = ctx.state.config.gateway.wsSecurity.clockSkewSeconds;
  const input = {
    config: ctx.state.config,
    envelope: ctx.state.envelope!,
    basicUser: ctx.state.basicUser!,
    clock: services.clock,
    replay,
    // Read by the engine only when the message carries a Created to check against it (src/wss/engine.ts readReplayEpoch).
    replayEpoch: () => services.replayEpoch.current(skewSeconds),
  };
  const audit = ctx.state.audit;
  // Report-only: before the enforced decision records this request's nonce or signature; it changes nothing.
  const shadow = await checkShadowPolicy(input);
  if (shadow) {
    audit.shadow = { policy: shadow.policy, verdict: shadow.kind, fault: shadowFaultLabel(shadow), ...(shadow.kind === "refused" ? { reason: shadow.reason } : {}) };
    recordShadowDecision(services.metrics, input.basicUser.userName, audit.shadow);
  }
  const decision = await checkWsSecurity(input);
  ctx.state.wss = decision;
  if (decision.kind === "bypassed") {
    audit.reason = `WS-Security bypassed: ${decision.reason}`;
    return undefined;
  }
  audit.policy = decision.policy;
  audit.profiles = decision.profiles.map((p) => ({
    profile: p.profile,
    result: p.kind,
    reason: p.reason,
    ...(p.kind === "passed" && p.certificate !== undefined ? { certificate: p.certificate } : {}),
  }));
  if (ctx.state.config.gateway.debug) services.logger.info({ requestId: ctx.state.requestId, steps: decision.steps }, "ws-security trace");
  if (decision.kind === "refused") {
    if (decision.credentialFailure) await countFailure(ctx, services, claimedUser, "ws-security");
    audit.reason = decision.steps.at(-1);
    return { kind: "soap-fault", version: ctx.state.soapVersion!, fault: new SoapFault(decision.fault) };
  }
  return undefined;
});

export const sessionUserStage = stage((ctx) => {
  const result = resolveSessionUser(ctx.state.config, ctx.state.basicUser!, ctx.state.wss);
  if (result.kind === "refused") {
    ctx.state.audit.reason = result.reason;
    return { kind: "soap-fault", version: ctx.state.soapVersion!, fault: new SoapFault("authenticationFailed") };
  }
  ctx.state.sessionUser = result.user;
  ctx.state.audit.sessionUser = result.user.userName;
  return undefined;
});

export const selectOperationStage = stage((ctx) => {
  const selected = selectOperation(ctx.state.envelope!, tableOf(ctx));
  if (selected.kind === "refused") {
    ctx.state.audit.reason = selected.fault.message;
    return { kind: "soap-fault", version: ctx.state.soapVersion!, fault: selected.fault };
  }
  ctx.state.operation = selected;
  ctx.state.audit.operation = selected.name;
  return undefined;
});

export const authorizeStage = stage((ctx) => {
  const table = tableOf(ctx);
  const operation = ctx.state.operation!.name;
  const decision = authorizeRequest(ctx.state.config, ctx.state.sessionUser!, table, operation);
  ctx.state.authorizationSteps = decision.steps;
  if (decision.kind === "refused") {
    ctx.state.audit.reason = decision.reason;
    return { kind: "soap-fault", version: ctx.state.soapVersion!, fault: new SoapFault("insufficientRights", { operation, table }) };
  }
  ctx.state.access = decision.access;
  return undefined;
});

export const runOperationStage = stage(async (ctx, services) => {
  const route = ctx.state.route!;
  if (route.kind !== "soap") return undefined;
  const operation = ctx.state.operation!;
  try {
    const xml = await performOperation({
      version: ctx.state.soapVersion!,
      table: route.table,
      operation: operation.name,
      element: operation.element,
      sessionUser: ctx.state.sessionUser!.userName,
      access: ctx.state.access!,
      store: services.store,
      clock: services.clock,
    });
    return { kind: "soap-response", version: ctx.state.soapVersion!, xml };
  } catch (error) {
    if (!(error instanceof SoapFault)) throw error;
    ctx.state.audit.reason = error.message.slice(0, 200);
    return { kind: "soap-fault", version: ctx.state.soapVersion!, fault: error };
  }
});

async function countFailure(ctx: Context, services: GatewayServices, userName: string | undefined, source: CredentialSource): Promise<void> {
  const settings = ctx.state.config.gateway.throttle;
  await countCredentialFailure({ tracker: services.throttle, metrics: services.metrics, settings }, { clientAddress: ctx.state.clientAddress, userName, source });
}

function tableOf(ctx: Context): string {
  const route = ctx.state.route!;
  return "table" in route ? route.table.name : "";
}
