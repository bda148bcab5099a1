/**
 * Stage: HTTP Basic authentication (SPEC §5 step 2). The authenticated user
 * is the *basic user*; without credentials where they are not required, the
 * basic user is `guest` (with its users.yaml account, if it has one).
 */
import type { GatewayConfig } from "../config/types.js";
import { parseBasicAuthorization, verifyPassword } from "../auth/basic.js";
import type { CredentialCache } from "../auth/credential-cache.js";
import { hashPassword, verifyScryptHash } from "../auth/password.js";
import type { BasicUser, GatewayResponse } from "../http/state.js";

export const GUEST_USER = "guest";

export type BasicAuthResult =
  | { readonly kind: "authenticated"; readonly user: BasicUser }
  | {
      readonly kind: "refused";
      readonly reason: string;
      /** A wrong password or an unknown/inactive user (counts toward throttling); missing credentials do not. */
      readonly credentialFailure: boolean;
    };

export async function authenticateBasic(
  config: GatewayConfig,
  authorizationHeader: string | undefined,
  cache: CredentialCache,
): Promise<BasicAuthResult> {
  const authorization = parseBasicAuthorization(authorizationHeader);
  switch (authorization.kind) {
    case "absent": {
      if (config.gateway.basicAuth.required) return refused("no Basic credentials", false);
      const guest = config.users.get(GUEST_USER);
      return { kind: "authenticated", user: { userName: GUEST_USER, account: guest?.active ? guest : undefined } };
    }
    case "unreadable":
      return refused("unreadable Authorization header", false);
    case "basic": {
      const { userName, password } = authorization.credentials;
      const account = config.users.get(userName);
      if (!account) {
        await spendEquivalentTime(password);
        return refused("unknown user", true);
      }
      const passwordOk = await verifyPassword(account, password, cache);
      if (!passwordOk) return refused(`wrong password for ${userName}`, true);
      if (!account.active) return refused(`user ${userName} is inactive`, true);
      return { kind: "authenticated", user: { userName, account } };
    }
    default: {
      const unreachable: never = authorization;
      return unreachable;
    }
  }
}

export function unauthorizedResponse(config: GatewayConfig): GatewayResponse {
  const realm = config.gateway.basicAuth.realm.replace(/["\\]/g, "");
  return {
    kind: "http-error",
    status: 401,
    message: "authentication required",
    headers: { "WWW-Authenticate": `Basic realm="${realm}", charset="UTF-8"` },
  };
}

let timingHash: Promise<string> | undefined;

/** Runs one scrypt verification so an unknown user takes as long as a wrong password. */
async function spendEquivalentTime(password: string): Promise<void> {
  timingHash ??= hashPassword("timing-equaliser");
  await verifyScryptHash(password, await timingHash);
}

function refused(reason: string, credentialFailure: boolean): BasicAuthResult {
  return { kind: "refused", reason, credentialFailure };
}
