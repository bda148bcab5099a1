/**
 * Validator: does a UsernameToken authenticate under a username profile?
 * Created (when sent) must be fresh. `authenticate_with_user`: the user whose
 * `user_field` equals <Username>, active, with a matching password — a
 * PasswordText against the scrypt hash (scrypt runs per request) or the
 * recoverable secret; a PasswordDigest only against a recoverable secret.
 * `specify_user`: the profile's own username and password. Secrets are
 * compared in constant time. Replay of the nonce is checked by the engine
 * afterwards, once the credential is known to be good.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { GatewayConfig, UsernameProfile, UserAccount, PasswordCredential } from "../../config/types.js";
import { secretsEqual, verifyScryptHash } from "../../auth/password.js";
import type { FaultId } from "../../soap/faults.js";
import type { UsernameToken, UsernameTokenPassword } from "../processors/username-token.js";
import { checkFreshness } from "./timestamp.js";
import { runAsText } from "../run-as.js";

export type UsernameTokenValidation =
  | { readonly kind: "authenticated"; readonly user: string; readonly reason: string }
  | { readonly kind: "failed"; readonly fault: FaultId; readonly reason: string; readonly credentialFailure: boolean };

export async function validateUsernameToken(
  profile: UsernameProfile,
  token: UsernameToken,
  config: GatewayConfig,
  clock: Clock,
): Promise<UsernameTokenValidation> {
  if (token.created) {
    const { timestampTtlSeconds, clockSkewSeconds } = config.gateway.wsSecurity;
    const freshness = checkFreshness("UsernameToken", token.created.date, undefined, { ttlSeconds: timestampTtlSeconds, clockSkewSeconds }, clock);
    if (freshness.kind === "expired") return failed("expired", freshness.reason, false);
  }
  switch (profile.action) {
    case "authenticate_with_user": {
      const user = findUser(config, profile.userField, token.username);
      if (!user) return failed("authenticationFailed", `no user with ${profile.userField} matching the token`, true);
      if (!user.active) return failed("authenticationFailed", `user ${user.userName} is inactive`, true);
      const check = await checkUserPassword(token, user.password);
      if (check !== "match") return failed("authenticationFailed", check, true);
      return { kind: "authenticated", user: user.userName, reason: `authenticated as ${user.userName} (${describe(token.password)})` };
    }
    case "specify_user": {
      const usernameMatches = secretsEqual(token.username, profile.username);
      const passwordMatches = passwordMatchesSecret(token, profile.password);
      if (!usernameMatches || !passwordMatches) return failed("authenticationFailed", "username or password does not match the profile", true);
      return { kind: "authenticated", user: profile.runAsUser, reason: `profile credentials matched (${describe(token.password)}); ${runAsText(profile)}` };
    }
    default: {
      const never: never = profile;
      return failed("authenticationFailed", `unknown profile action ${String(never)}`, false);
    }
  }
}

function findUser(config: GatewayConfig, field: "user_name" | "email", username: string): UserAccount | undefined {
  if (field === "user_name") return config.users.get(username);
  for (const user of config.users.values()) {
    if (user.email !== undefined && user.email === username) return user;
  }
  return undefined;
}

async function checkUserPassword(token: UsernameToken, credential: PasswordCredential): Promise<"match" | string> {
  switch (credential.kind) {
    case "none":
      return "user has no password";
    case "recoverable":
      return passwordMatchesSecret(token, credential.value) ? "match" : `${describe(token.password)} does not match`;
    case "scrypt-hash":
      if (token.password.kind === "digest") return "PasswordDigest needs a recoverable password (the user's password is a hash)";
      return (await verifyScryptHash(token.password.value, credential.hash)) ? "match" : "PasswordText does not match";
    default: {
      const never: never = credential;
      return `unknown credential ${String(never)}`;
    }
  }
}

function passwordMatchesSecret(token: UsernameToken, secret: string): boolean {
  if (token.password.kind === "text") return secretsEqual(token.password.value, secret);
  return secretsEqual(token.password.digest, passwordDigest(token.nonce!, token.created!.text, secret));
}

/** Base64(SHA-1(nonce + created + password)) of the UsernameToken profile, as raw bytes. */
export function passwordDigest(nonce: Buffer, created: string, password: string): Buffer {
  return createHash("sha1").update(nonce).update(created, "utf8").update(password, "utf8").digest();
}

function describe(password: UsernameTokenPassword): string {
  return password.kind === "text" ? "PasswordText" : "PasswordDigest";
}

function failed(fault: FaultId, reason: string, credentialFailure: boolean): UsernameTokenValidation {
  return { kind: "failed", fault, reason, credentialFailure };
}
