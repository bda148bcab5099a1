/**
 * The WS-Security decision's typed input and results (SPEC §5). The engine
 * (src/wss/engine.ts) is a function of these: it never writes a response
 * and never touches the store.
 */
import type { Clock } from "../clock.js";
import type { GatewayConfig, UserAccount } from "../config/types.js";
import type { ReplayGuard } from "../replay/guard.js";
import type { SoapEnvelope } from "../soap/envelope.js";
import type { FaultId } from "../soap/faults.js";
import type { DigestObserver } from "./rules/signed-elements.js";

export interface WssInput {
  readonly config: GatewayConfig;
  readonly envelope: SoapEnvelope;
  /** The Basic-authenticated user (or guest, which has no account). */
  readonly basicUser: UserAccount | undefined;
  readonly clock: Clock;
  /**
   * How the decision claims signatures and nonces (src/replay/guard.ts): a
   * reserving guard for the enforced decision (the pipeline settles it when
   * the request ends), a check-only guard for report-only evaluations
   * (shadow policy, explain) that must not record anything.
   */
  readonly replay: ReplayGuard;
  /** Called once per signed element canonicalized and digested (observability and tests). */
  readonly onDigest?: DigestObserver;
  /**
   * When the replay cache's memory began; a Created before it is expired
   * (rules/replay-epoch.ts). A function is a lazy read (one Redis round trip
   * with `--replay-cache redis://`): the engine calls it once, only when our
   * Security header holds a Timestamp or UsernameToken, and its rejection
   * (the cache down) rejects the decision. Unread, it passes no Created.
   */
  readonly replayEpoch?: ReplayEpochInput;
}

export type ReplayEpochInput = Date | (() => Promise<Date>);

/** One profile's result, in evaluation order; `reason` is for the audit/debug trace only (never secrets). */
export type ProfileOutcome =
  | {
      readonly kind: "passed";
      readonly profile: string;
      readonly profileType: "x509" | "username";
      /** run-as user (x509, specify_user) or matched user (authenticate_with_user). */
      readonly user: string;
      readonly bindSession: boolean;
      /** x509: SHA-256 fingerprint of the pinned certificate that verified (one of several during a rotation). */
      readonly certificate?: string;
      readonly reason: string;
    }
  | {
      readonly kind: "failed";
      readonly profile: string;
      readonly profileType: "x509" | "username";
      readonly fault: FaultId;
      readonly reason: string;
      /** A wrong password/digest or unknown/inactive user: counts toward brute-force throttling. */
      readonly credentialFailure: boolean;
    };

export type WssDecision =
  | {
      readonly kind: "admitted";
      readonly policy: string | undefined;
      readonly profiles: readonly ProfileOutcome[];
      /** From the last passed profile with bind_session, else undefined (the basic user stays). */
      readonly sessionUser: string | undefined;
      /** Human-readable steps for debug logging and `explain` (no secrets). */
      readonly steps: readonly string[];
    }
  | {
      readonly kind: "refused";
      readonly policy: string | undefined;
      readonly fault: FaultId;
      readonly profiles: readonly ProfileOutcome[];
      readonly steps: readonly string[];
      readonly credentialFailure: boolean;
    }
  | { readonly kind: "bypassed"; readonly reason: "not-required" | "internal-integration-user" };
