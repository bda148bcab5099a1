/**
 * The request pipeline, in the order of SPEC §5: the stages run in this
 * order, each until one settles the response. Basic credentials are checked
 * from the headers before the body is read or parsed (SPEC §5 "Cost"), so an
 * unauthenticated caller never costs a read or a parse. `respond` wraps them
 * all and is the only writer of responses.
 */
import Koa from "koa";
import { respond } from "./respond.js";
import type { GatewayServices } from "./services.js";
import type { RequestState } from "./state.js";
import {
  authorizeStage,
  basicAuthStage,
  describeServiceStage,
  parseAdmissionStage,
  parseEnvelopeStage,
  pipeline,
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
  type Stage,
} from "./stages.js";

export interface AppOptions {
  /** Serve /metrics and /readyz here; false when `--metrics-port` has its own listener (src/http/ops-app.ts). Default true. */
  readonly opsEndpoints?: boolean;
}

export function createApp(services: GatewayServices, options: AppOptions = {}): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.silent = true;
  const stages: Stage[] = [
    routeStage, //                    which endpoint: 404 / 405
    ...(options.opsEndpoints === false ? [opsEndpointsElsewhereStage] : []), // --metrics-port: 404 here
    serviceEndpointStage, //          /healthz, /readyz, /metrics stop here
    admissionStage, //                over limits.max_concurrent_requests / max_inflight_body_bytes: 503, before the body is read
    throttleStage, //                 a client blocked for failed credentials: 429, before the body is read
    basicAuthStage, //                2. Basic auth from the headers, before the body is read: 401
    describeServiceStage, //          3. WSDL / XSD stop here: 403
    readBodyStage, //                 HTTP intake and limits: 415 / 413
    parseAdmissionStage, //           waits (never refused) for room among the requests parsed and not yet answered
    parseEnvelopeStage, //            1. safe XML parse, SOAP envelope and header rules: 400 / MustUnderstand
    wsSecurityStage, //               4. WS-Security decision
    sessionUserStage, //              5. session user
    selectOperationStage, //             the Body's operation
    authorizeStage, //                6. SOAP roles and ACLs
    runOperationStage, //             7. the operation, in one transaction
  ];
  app.use(respond(services));
  app.use(pipeline(services, stages));
  return app;
}
