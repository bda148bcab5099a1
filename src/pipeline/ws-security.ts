/**
 * Stage: the WS-Security decision (SPEC §5 step 4), delegated to the engine
 * in src/wss/. This file only decides whether the decision applies.
 */
import type { Clock } from "../clock.js";
import type { GatewayConfig } from "../config/types.js";
import type { ReplayGuard } from "../replay/guard.js";
import type { SoapEnvelope } from "../soap/envelope.js";
import type { BasicUser } from "../http/state.js";
import { decideUnderNamedPolicy, decideWsSecurity } from "../wss/engine.js";
import { evaluateShadowPolicy, type ShadowVerdict } from "../wss/shadow.js";
import type { ReplayEpochInput, WssDecision } from "../wss/types.js";

export interface WsSecurityInput {
  readonly config: GatewayConfig;
  readonly envelope: SoapEnvelope;
  readonly basicUser: BasicUser;
  readonly clock: Clock;
  readonly replay: ReplayGuard;
  /** When the replay cache's memory began (SPEC §7), read lazily by the engine; the enforced decision refuses a Created before it. */
  readonly replayEpoch?: ReplayEpochInput;
}

/**
 * The report-only shadow policy's verdict, or undefined when none is
 * configured. It records nothing (it claims through `input.replay.checkOnly()`).
 */
export async function checkShadowPolicy(input: WsSecurityInput): Promise<ShadowVerdict | undefined> {
  const name = input.config.gateway.wsSecurity.shadowPolicy;
  if (name === undefined) return undefined;
  return evaluateShadowPolicy(
    { config: input.config, envelope: input.envelope, basicUser: input.basicUser.account, clock: input.clock, replay: input.replay },
    name,
  );
}

export function checkWsSecurity(input: WsSecurityInput): Promise<WssDecision> {
  return decideWsSecurity({
    config: input.config,
    envelope: input.envelope,
    basicUser: input.basicUser.account,
    clock: input.clock,
    replay: input.replay,
    replayEpoch: input.replayEpoch,
  });
}

/** The decision under a named policy whoever the user is (`explain --policy`): no bypass for internal integration users or required: false. */
export function checkNamedPolicy(input: WsSecurityInput, policyName: string): Promise<WssDecision> {
  return decideUnderNamedPolicy(
    { config: input.config, envelope: input.envelope, basicUser: input.basicUser.account, clock: input.clock, replay: input.replay },
    policyName,
  );
}
