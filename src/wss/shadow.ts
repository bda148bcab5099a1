/**
 * The report-only (shadow) policy: `ws_security.shadow_policy` names an
 * inbound policy that is evaluated beside the enforced decision on every
 * SOAP request — internal integration users and `ws_security.required:
 * false` included, since "what if I switched it on" is the question it
 * answers. Its verdict never changes the response and never writes: it
 * claims through the check-only view of the request's replay guard
 * (`input.replay.checkOnly()`, src/replay/guard.ts), so a nonce or signature
 * the shadow saw is still fresh for the enforced decision, and the
 * request's own reservation is not seen as a replay.
 */
import type { FaultId } from "../soap/faults.js";
import { decideUnderNamedPolicy } from "./engine.js";
import type { WssInput } from "./types.js";

/** The metric/audit name of each fault the shadow could have answered (snake_case, stable). */
export const SHADOW_FAULT_IDS = {
  outboundPolicy: "outbound_policy",
  notSigned: "not_signed",
  noProfiles: "no_profiles",
  signatureInvalid: "failed_check",
  tokenMissing: "invalid_security_token",
  tokenUnsupported: "unsupported_security_token",
  authenticationFailed: "failed_authentication",
  expired: "message_expired",
  replayed: "replayed",
  malformed: "malformed",
  mustUnderstand: "must_understand",
  insufficientRights: "insufficient_rights",
  badRequest: "bad_request",
  internal: "unavailable",
  unavailable: "unavailable",
} as const satisfies Record<FaultId, string>;

export type ShadowFault = (typeof SHADOW_FAULT_IDS)[FaultId] | "internal_error";

export type ShadowVerdict =
  | { readonly kind: "admitted"; readonly policy: string; readonly steps: readonly string[] }
  | {
      readonly kind: "refused";
      readonly policy: string;
      readonly fault: ShadowFault;
      /** The last step of the trace: why (never a secret). */
      readonly reason: string;
      readonly steps: readonly string[];
    };

/** The shadow verdict's fault label: the snake_case id, or "none" when admitted. */
export function shadowFaultLabel(verdict: ShadowVerdict): ShadowFault | "none" {
  return verdict.kind === "admitted" ? "none" : verdict.fault;
}

/** Never throws: a shadow evaluation that fails is reported, the request goes on untouched. */
export async function evaluateShadowPolicy(input: WssInput, policyName: string): Promise<ShadowVerdict> {
  try {
    const decision = await decideUnderNamedPolicy({ ...input, replay: input.replay.checkOnly() }, policyName);
    switch (decision.kind) {
      case "admitted":
        return { kind: "admitted", policy: policyName, steps: decision.steps };
      case "refused":
        return {
          kind: "refused",
          policy: policyName,
          fault: SHADOW_FAULT_IDS[decision.fault],
          reason: decision.steps.at(-1) ?? "refused",
          steps: decision.steps,
        };
      case "bypassed": // decideUnderNamedPolicy never bypasses
        return { kind: "admitted", policy: policyName, steps: [`bypassed: ${decision.reason}`] };
      default: {
        const unreachable: never = decision;
        return unreachable;
      }
    }
  } catch (error) {
    const reason = `shadow evaluation failed: ${error instanceof Error ? error.message.slice(0, 200) : "unknown error"}`;
    return { kind: "refused", policy: policyName, fault: "internal_error", reason, steps: [reason] };
  }
}
