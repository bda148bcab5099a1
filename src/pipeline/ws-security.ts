/**
 * Stage: the WS-Security decision (SPEC §5 step 4), delegated to the engine
 * in src/wss/. This file only decides whether the decision applies.
 */
import type { Clock } from "../clock.js";
import type { GatewayConfig } from "../config/types.js";
import type { ReplayCache } from "../replay/types.js";
import type { SoapEnvelope } from "../soap/envelope.js";
import type { BasicUser } from "../http/state.js";
import { decideWsSecurity } from "../wss/engine.js";
import type { WssDecision } from "../wss/types.js";

export function checkWsSecurity(input: {
  readonly config: GatewayConfig;
  readonly envelope: SoapEnvelope;
  readonly basicUser: BasicUser;
  readonly clock: Clock;
  readonly replayCache: ReplayCache;
}): Promise<WssDecision> {
  return decideWsSecurity({
    config: input.config,
    envelope: input.envelope,
    basicUser: input.basicUser.account,
    clock: input.clock,
    replayCache: input.replayCache,
  });
}
