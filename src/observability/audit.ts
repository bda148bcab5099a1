/**
 * The one audit line per request (SPEC §7). Stages fill the record as the
 * request advances; the respond step logs it. Only names, ids and outcomes
 * go in: never passwords, nonces, keys or bodies.
 */
import type { SignOn } from "../pipeline/basic-auth.js";

export interface ProfileAudit {
  readonly profile: string;
  readonly result: "passed" | "failed";
  readonly reason: string;
  /** x509: SHA-256 fingerprint of the pinned certificate that verified (several are pinned during a rotation). */
  readonly certificate?: string;
}

export interface AuditRecord {
  requestId: string;
  clientAddress: string;
  /** The trusted proxy the request came through, when the client address is a forwarded one. */
  proxyAddress?: string;
  method: string;
  path: string;
  basicUser?: string;
  /** How the basic user signed on: basic, digest-token, client-certificate (none: guest without credentials). */
  signOn?: SignOn;
  sessionUser?: string;
  policy?: string;
  profiles?: ProfileAudit[];
  operation?: string;
  table?: string;
  /** `client-closed`: the client closed the connection before it could be answered (no `status`: nothing was sent). */
  outcome?: "ok" | "fault" | "http-error" | "client-closed";
  /** The HTTP status the client was sent; absent when it was sent nothing. */
  status?: number;
  fault?: string;
  /** Why the request was refused, for the admin (never a secret). */
  reason?: string;
  latencyMs?: number;
  /** Brute-force throttling applied to this request (src/pipeline/throttle.ts). */
  throttle?: ThrottleAudit;
  /** The report-only shadow policy's verdict (src/wss/shadow.ts); it changed nothing. */
  shadow?: ShadowAudit;
}

export interface ShadowAudit {
  readonly policy: string;
  readonly verdict: "admitted" | "refused";
  /** The snake_case fault it would have answered, or "none". */
  readonly fault: string;
  readonly reason?: string;
}

export type ThrottleAudit =
  | { readonly kind: "refused"; readonly scope: "address" | "user"; readonly retryAfterSeconds: number }
  | { readonly kind: "slowed"; readonly scope: "user"; readonly delayMs: number };
