/**
 * Stage: HTTP Basic authentication (SPEC §5 step 2). The authenticated user
 * is the *basic user*; without credentials where they are not required, the
 * basic user is `guest` (with its users.yaml account, if it has one).
 * The same stage accepts the other sign-ons: a mapped client certificate, and
 * a digest token (SM_USER / DE_USER, src/pipeline/digest-token-sign-on.ts)
 * when `digest_token:` is configured. `signOn` names the one that was used.
 */
import type { GatewayConfig, UserAccount } from "../config/types.js";
import { checkPassword, parseBasicAuthorization, type ParsedAuthorization, type PasswordCheck } from "../auth/basic.js";
import type { CredentialCache } from "../auth/credential-cache.js";
import { userOfClientCertificate } from "../auth/client-certificate.js";
import { failureCost } from "../auth/failure-cost.js";
import type { BasicUser, GatewayResponse } from "../http/state.js";
import { authenticateDigestToken, type DigestTokenAttempt } from "./digest-token-sign-on.js";

export const GUEST_USER = "guest";

/** How the basic user signed on (the audit line's `signOn`); `none`: guest without credentials. */
export type SignOn = "basic" | "digest-token" | "client-certificate" | "none";

export type BasicAuthResult =
  | { readonly kind: "authenticated"; readonly user: BasicUser; readonly signOn: SignOn }
  | {
      readonly kind: "refused";
      readonly reason: string;
      /** A wrong password or an unknown/inactive user (counts toward throttling); missing credentials do not. */
      readonly credentialFailure: boolean;
    };

/**
 * `clientCertificateFingerprint` is the verified mutual-TLS client certificate, if any:
 * without Basic credentials, a certificate mapped to a user (`client_certificates:`)
 * authenticates that user; with Basic credentials, it must not belong to someone else.
 */
export function authenticateBasic(
  config: GatewayConfig,
  authorizationHeader: string | undefined,
  cache: CredentialCache,
  clientCertificateFingerprint?: string,
  digestToken?: DigestTokenAttempt,
): Promise<BasicAuthResult> {
  return authenticateParsedBasic(config, parseBasicAuthorization(authorizationHeader), cache, clientCertificateFingerprint, digestToken);
}

/** authenticateBasic for an Authorization header already parsed (the stage parses it once, for the throttle's claimed user too). */
export async function authenticateParsedBasic(
  config: GatewayConfig,
  authorization: ParsedAuthorization,
  cache: CredentialCache,
  clientCertificateFingerprint?: string,
  digestToken?: DigestTokenAttempt,
): Promise<BasicAuthResult> {
  const certificateUser = clientCertificateFingerprint === undefined ? undefined : userOfClientCertificate(config, clientCertificateFingerprint);
  // Without digest_token: configured, SM_USER / DE_USER mean nothing to the gateway.
  const tokenClaim = config.digestToken === undefined ? undefined : digestToken?.claim;
  const tokenSent = tokenClaim !== undefined && tokenClaim.kind !== "absent";
  if (tokenSent && authorization.kind !== "absent") return refused("both an Authorization header and a digest token", false);
  switch (authorization.kind) {
    case "absent": {
      if (tokenSent) {
        if (tokenClaim.kind === "unreadable") return refused(tokenClaim.reason, false);
        return authenticateDigestToken(config, config.digestToken!, tokenClaim, digestToken!.now, certificateUser);
      }
      if (certificateUser) {
        if (!certificateUser.active) return refused(`user ${certificateUser.userName} (client certificate) is inactive`, true);
        return { kind: "authenticated", user: { userName: certificateUser.userName, account: certificateUser }, signOn: "client-certificate" };
      }
      if (config.gateway.basicAuth.required) return refused("no Basic credentials", false);
      const guest = config.users.get(GUEST_USER);
      return { kind: "authenticated", user: { userName: GUEST_USER, account: guest?.active ? guest : undefined }, signOn: "none" };
    }
    case "unreadable":
      return refused("unreadable Authorization header", false);
    case "basic": {
      const { userName, password } = authorization.credentials;
      const account = config.users.get(userName);
      const check = account ? await checkPassword(account, password, cache) : { matches: false, kdfRan: false };
      const refusal = refusalOf(userName, account, check, certificateUser);
      if (refusal === undefined) return { kind: "authenticated", user: { userName, account: account! }, signOn: "basic" };
      // Every refusal costs one KDF, whichever check failed (user enumeration by timing).
      if (!check.kdfRan) await failureCost.spendDummyKdf(password);
      return refused(refusal, true);
    }
    default: {
      const unreachable: never = authorization;
      return unreachable;
    }
  }
}

/** Why valid-looking Basic credentials are refused, or undefined when they authenticate `userName`. */
function refusalOf(userName: string, account: UserAccount | undefined, check: PasswordCheck, certificateUser: UserAccount | undefined): string | undefined {
  if (!account) return "unknown user";
  if (!check.matches) return `wrong password for ${userName}`;
  if (!account.active) return `user ${userName} is inactive`;
  if (certificateUser && certificateUser.userName !== userName) return `the client certificate belongs to ${certificateUser.userName}, not ${userName}`;
  return undefined;
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

function refused(reason: string, credentialFailure: boolean): BasicAuthResult {
  return { kind: "refused", reason, credentialFailure };
}
