/**
 * Stage: the session user (SPEC §5 step 5) — the user bound by the last
 * successful `bind_session` profile, else the basic user. A bound user must
 * exist and be active.
 */
import type { GatewayConfig } from "../config/types.js";
import type { BasicUser } from "../http/state.js";
import type { WssDecision } from "../wss/types.js";

export type SessionUserResult = { readonly kind: "session"; readonly user: BasicUser } | { readonly kind: "refused"; readonly reason: string };

export function resolveSessionUser(config: GatewayConfig, basicUser: BasicUser, decision: WssDecision | undefined): SessionUserResult {
  const bound = decision?.kind === "admitted" ? decision.sessionUser : undefined;
  if (bound === undefined) return { kind: "session", user: basicUser };
  const account = config.users.get(bound);
  if (!account) return { kind: "refused", reason: `session user ${bound} is not in users.yaml` };
  if (!account.active) return { kind: "refused", reason: `session user ${bound} is inactive` };
  return { kind: "session", user: { userName: bound, account } };
}
