/**
 * Stage: the WS-Security decision (SPEC §5 step 4), delegated to the engine
 * in src/wss/. This file only decides whether the decision applies.
 */
import type { Clock } from "../clock.js";
import type { GatewayConfig } from "../config/types.js";
import type { ReplayCache } from "../replay/types.js";
import type { SoapEnvelope } from "../soap/envelope.js";
import type { BasicUser } from "../http/state.js";
import { decideUnderNamedPolicy, decideWsSecurity } from "../wss/engine.js";
import { evaluateShadowPolicy, type ShadowVerdict } from "../wss/shadow.js";
import type { WssDecision } from "../wss/types.js";

export interface WsSecurityInput {
  readonly config: GatewayConfig;
  readonly envelope: SoapEnvelope;
  readonly basicUser: BasicUser;
  readonly clock: Clock;
  readonly replayCache: ReplayCache;
}

/**
 * The report-only shadow policy's verdict, or undefined when none is
 * configured. Run it before checkWsSecurity: it only reads the replay cache.
 */
export async function checkShadowPolicy(input: WsSecurityInput): Promise<ShadowVerdict | undefined> {
  const name = input.config.gateway.wsSecurity.shadowPolicy;
  if (name === undefined) return undefined;
  return evaluateShadowPolicy(
    { config: input.config, envelope: input.envelope, basicUser: input.basicUser.account, clock: input.clock, replayCache: input.replayCache },
    name,
  );
}

export function checkWsSecurity(input: WsSecurityInput): Promise<WssDecision> {
  return decideWsSecurity({
    config: input.config,
    envelope: input.envelope,
    basicUser: input.basicUser.account,
    clock: input.clock,
    replayCache: input.replayCache,
  });
}

/** The decision under a named policy whoever the user is (`explain --policy`): no bypass for internal integration users or required: false. */
export function checkNamedPolicy(input: WsSecurityInput, policyName: string): Promise<WssDecision> {
  return decideUnderNamedPolicy(
    { config: input.config, envelope: input.envelope, basicUser: input.basicUser.account, clock: input.clock, replayCache: input.replayCache },
    policyName,
  );
}
