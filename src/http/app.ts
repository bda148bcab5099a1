/**
 * The request pipeline, in the order of SPEC §5: one `use` per stage. Basic
 * credentials are checked from the headers before the body is read or parsed
 * (SPEC §5 "Cost"), so an unauthenticated caller never costs a read or a parse.
 * `respond` wraps them all and is the only writer of responses.
 */
import Koa from "koa";
import { respond } from "./respond.js";
import type { GatewayServices } from "./services.js";
import type { RequestState } from "./state.js";
import {
  authorizeStage,
  basicAuthStage,
  describeServiceStage,
  parseEnvelopeStage,
  readBodyStage,
  routeStage,
  runOperationStage,
  selectOperationStage,
  opsEndpointsElsewhereStage,
  serviceEndpointStage,
  throttleStage,
  admissionStage,
  sessionUserStage,
  wsSecurityStage,
} from "./stages.js";

export interface AppOptions {
  /** Serve /metrics and /readyz here; false when `--metrics-port` has its own listener (src/http/ops-app.ts). Default true. */
  readonly opsEndpoints?: boolean;
}

export function createApp(services: GatewayServices, options: AppOptions = {}): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.silent = true;
  app.use(respond(services));
  app.use(routeStage(services)); //             which endpoint: 404 / 405
  if (options.opsEndpoints === false) app.use(opsEndpointsElsewhereStage(services)); // --metrics-port: 404 here
  app.use(serviceEndpointStage(services)); //   /healthz, /readyz, /metrics stop here
  app.use(admissionStage(services)); //         over limits.max_concurrent_requests / max_inflight_body_bytes: 503, before the body is read
  app.use(throttleStage(services)); //          a client blocked for failed credentials: 429, before the body is read
  app.use(basicAuthStage(services)); //         2. Basic auth from the headers, before the body is read: 401
  app.use(describeServiceStage(services)); //   3. WSDL / XSD stop here: 403
  app.use(readBodyStage(services)); //          HTTP intake and limits: 415 / 413
  app.use(parseEnvelopeStage(services)); //     1. safe XML parse, SOAP envelope and header rules: 400 / MustUnderstand
  app.use(wsSecurityStage(services)); //        4. WS-Security decision
  app.use(sessionUserStage(services)); //       5. session user
  app.use(selectOperationStage(services)); //      the Body's operation
  app.use(authorizeStage(services)); //         6. SOAP roles and ACLs
  app.use(runOperationStage(services)); //      7. the operation, in one transaction
  return app;
}
