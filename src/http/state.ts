/**
 * What one request carries through the pipeline. Each stage reads what the
 * stages before it produced and adds its own typed result; a stage that
 * stops the request sets `response`, which only src/http/respond.ts writes.
 */
import type { Element } from "../xml/tree.js";
import type { GatewayConfig, TableDef, UserAccount } from "../config/types.js";
import type { SoapEnvelope, SoapVersion } from "../soap/envelope.js";
import type { SoapFault } from "../soap/faults.js";
import type { WssDecision } from "../wss/types.js";
import type { RequestReplayGuard } from "../replay/guard.js";
import type { ColumnAccess } from "../operations/index.js";
import type { AuditRecord } from "../observability/audit.js";
import type { ClientView } from "./forwarded.js";
import type { AdmissionSlot } from "../pipeline/admission.js";
import type { NodeAnswer } from "../pipeline/read-body.js";

export type Route =
  | { readonly kind: "soap"; readonly table: TableDef }
  | { readonly kind: "wsdl"; readonly table: TableDef }
  | { readonly kind: "xsd"; readonly table: TableDef }
  | { readonly kind: "healthz" }
  | { readonly kind: "readyz" }
  | { readonly kind: "metrics" };

export type HttpErrorStatus = 400 | 401 | 403 | 404 | 405 | 408 | 413 | 415 | 429 | 503;

export type GatewayResponse =
  | { readonly kind: "soap-response"; readonly version: SoapVersion; /** UTF-8 */ readonly xml: Buffer }
  | {
      readonly kind: "soap-fault";
      readonly version: SoapVersion;
      readonly fault: SoapFault;
      /** e.g. `Connection: close` when the rest of the body is not read. */
      readonly headers?: Readonly<Record<string, string>>;
    }
  /**
   * The connection is closed before the request could be answered: the
   * client closed it (it was sent nothing), or Node's HTTP parser refused the
   * body and answered `sentByNode` itself. Nothing more is sent; the audit
   * records what the client got.
   */
  | { readonly kind: "connection-closed"; readonly sentByNode?: NodeAnswer }
  | {
      readonly kind: "http-error";
      readonly status: HttpErrorStatus;
      readonly message: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "document";
      readonly status: 200 | 503;
      readonly contentType: string;
      readonly body: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** The user the Basic auth stage established: an account, or guest (which may have one in users.yaml). */
export interface BasicUser {
  readonly userName: string;
  readonly account: UserAccount | undefined;
}

export interface RequestState {
  readonly requestId: string;
  /** The client's address: the TCP peer, or behind a trusted proxy the forwarded one (src/http/forwarded.ts). */
  readonly clientAddress: string;
  readonly client: ClientView;
  readonly startedAt: bigint;
  /** The configuration this request started under; a reload never changes it mid-request. */
  readonly config: GatewayConfig;
  readonly audit: AuditRecord;
  route?: Route;
  /** This request's admission slot (src/pipeline/admission.ts): a body without Content-Length is counted on it as it is read. */
  admission?: AdmissionSlot;
  soapVersion?: SoapVersion;
  body?: Buffer;
  envelope?: SoapEnvelope;
  basicUser?: BasicUser;
  wss?: WssDecision;
  /** The replay reservations of the WS-Security decision; respond.ts settles them when the request ends. */
  replay?: RequestReplayGuard;
  sessionUser?: BasicUser;
  operation?: { readonly name: string; readonly element: Element };
  access?: ColumnAccess;
  /** The role/ACL check's steps, for the admin console's trace of a refusal. */
  authorizationSteps?: readonly string[];
  response?: GatewayResponse;
}
