/**
 * Stage: may the session user perform this operation on this table
 * (SPEC §5 step 6, §6)? The rules live in src/authz/; this stage applies
 * their decision and hands the column access on to the operation.
 */
import type { GatewayConfig } from "../config/types.js";
import type { BasicUser } from "../http/state.js";
import { authorizeOperation, type AuthorizationDecision } from "../authz/authorize.js";

export function authorizeRequest(config: GatewayConfig, sessionUser: BasicUser, table: string, operation: string): AuthorizationDecision {
  return authorizeOperation({ config, user: sessionUser.account, userName: sessionUser.userName, table, operation });
}
