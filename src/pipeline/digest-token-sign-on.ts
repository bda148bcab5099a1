/**
 * The digest-token branch of the sign-on stage (src/pipeline/basic-auth.ts):
 * SM_USER / DE_USER (and DE_TIME) authenticate the basic user exactly as
 * Basic credentials would. The rules of the token are in src/auth/digest-token.ts.
 */
import { checkDigestToken, readDigestTokenClaim, type DigestTokenClaim, type SignOnRequest } from "../auth/digest-token.js";
import type { Clock } from "../clock.js";
import type { DigestTokenSettings, GatewayConfig, UserAccount } from "../config/types.js";
import type { BasicAuthResult } from "./basic-auth.js";

/** What the sign-on stage read for a digest token, and when. */
export interface DigestTokenAttempt {
  readonly claim: DigestTokenClaim;
  readonly now: Date;
}

export function authenticateDigestToken(
  config: GatewayConfig,
  settings: DigestTokenSettings,
  claim: Extract<DigestTokenClaim, { kind: "claim" }>,
  now: Date,
  certificateUser: UserAccount | undefined,
): BasicAuthResult {
  const check = checkDigestToken(settings, claim, Math.floor(now.getTime() / 1000), config.gateway.wsSecurity.clockSkewSeconds);
  if (check.kind === "invalid") return { kind: "refused", reason: check.reason, credentialFailure: check.credentialFailure };
  const account = findAccount(config, settings.userField, claim.user);
  if (!account) return { kind: "refused", reason: "digest token for an unknown user", credentialFailure: true };
  if (!account.active) return { kind: "refused", reason: `user ${account.userName} is inactive`, credentialFailure: true };
  if (certificateUser && certificateUser.userName !== account.userName) {
    return { kind: "refused", reason: `the client certificate belongs to ${certificateUser.userName}, not ${account.userName}`, credentialFailure: true };
  }
  return { kind: "authenticated", user: { userName: account.userName, account }, signOn: "digest-token" };
}

function findAccount(config: GatewayConfig, field: DigestTokenSettings["userField"], value: string): UserAccount | undefined {
  if (field === "user_name") return config.users.get(value);
  const wanted = value.toLowerCase();
  return [...config.users.values()].find((user) => user.email?.toLowerCase() === wanted);
}

/** The digest token a request presents, when `digest_token:` is configured. */
export function readDigestTokenAttempt(config: GatewayConfig, request: SignOnRequest, clock: Clock): DigestTokenAttempt | undefined {
  if (config.digestToken === undefined) return undefined;
  return { claim: readDigestTokenClaim(config.digestToken, request), now: clock.now() };
}

/** The SM_USER a request claims: only a throttling key, never an identity. */
export function claimedTokenUserOf(attempt: DigestTokenAttempt | undefined): string | undefined {
  return attempt?.claim.kind === "claim" ? attempt.claim.user : undefined;
}
