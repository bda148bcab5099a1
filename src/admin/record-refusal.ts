/**
 * Turns a refused SOAP-port request into a refusal-log entry for the admin
 * console: a SOAP fault, or an HTTP refusal of the client (400, 401, 403,
 * 413, 415, 429, 503). Route misses (404, 405) are not kept: scanners would
 * push the real refusals out of the ring.
 */
import type { GatewayResponse, RequestState } from "../http/state.js";
import type { ProfileOutcome } from "../wss/types.js";
import type { RefusalEntry } from "./refusal-log.js";

const KEPT_HTTP_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 413, 415, 429, 503]);

export function refusalEntry(state: RequestState, status: number, response: GatewayResponse, at: Date): RefusalEntry | undefined {
  let answer: string;
  if (response.kind === "soap-fault") answer = response.fault.message;
  else if (response.kind === "http-error" && KEPT_HTTP_STATUSES.has(response.status)) answer = `HTTP ${response.status}: ${response.message}`;
  else return undefined;
  const { audit } = state;
  return {
    at: at.toISOString(),
    requestId: audit.requestId,
    clientAddress: audit.clientAddress,
    method: audit.method,
    path: audit.path,
    status,
    basicUser: audit.basicUser,
    table: audit.table,
    operation: audit.operation,
    policy: audit.policy,
    answer: answer.slice(0, 300),
    reason: audit.reason,
    trace: traceOf(state),
    shadow: audit.shadow,
  };
}

/** The WS-Security decision's steps and profile results, then the role/ACL check's steps. */
function traceOf(state: RequestState): string[] {
  const decision = state.wss;
  const authorization = (state.authorizationSteps ?? []).map((step) => `roles and ACLs: ${step}`);
  if (!decision) return authorization;
  if (decision.kind === "bypassed") return [`WS-Security bypassed: ${decision.reason}`, ...authorization];
  return [...decision.steps, ...decision.profiles.map(describeProfile), ...authorization];
}

function describeProfile(outcome: ProfileOutcome): string {
  return `profile "${outcome.profile}" (${outcome.profileType}): ${outcome.kind}: ${outcome.reason}`;
}
