/**
 * Validator: does a UsernameToken authenticate under a username profile?
 * Created (when sent) must be fresh. `authenticate_with_user`: the user whose
 * `user_field` equals <Username>, active, with a matching password — a
 * PasswordText against the scrypt hash (scrypt runs per request) or the
 * recoverable secret; a PasswordDigest only against a recoverable secret.
 * `specify_user`: the profile's own username and password. Secrets are
 * compared in constant time. Replay of the nonce is checked by the engine
 * afterwards, once the credential is known to be good. Every credential
 * refusal costs one KDF (src/auth/failure-cost.ts), so an unknown user answers
 * as slowly as a wrong password.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { GatewayConfig, UsernameProfile, UserAccount, PasswordCredential } from "../../config/types.js";
import { failureCost } from "../../auth/failure-cost.js";
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
  const result = await checkCredentials(profile, token, config);
  // Every credential refusal costs one KDF, whichever check failed (user enumeration by timing).
  if (result.validation.kind === "failed" && result.validation.credentialFailure && !result.kdfRan) {
    await failureCost.spendDummyKdf(presentedSecret(token.password));
  }
  return result.validation;
}

interface CredentialCheck {
  readonly validation: UsernameTokenValidation;
  /** Whether a full-cost KDF (scrypt of the user's hash) ran. */
  readonly kdfRan: boolean;
}

async function checkCredentials(profile: UsernameProfile, token: UsernameToken, config: GatewayConfig): Promise<CredentialCheck> {
  switch (profile.action) {
    case "authenticate_with_user": {
      const user = findUser(config, profile.userField, token.username);
      if (!user) return { validation: failed("authenticationFailed", `no user with ${profile.userField} matching the token`, true), kdfRan: false };
      if (!user.active) return { validation: failed("authenticationFailed", `user ${user.userName} is inactive`, true), kdfRan: false };
      const check = await checkUserPassword(token, user.password);
      if (check.result !== "match") return { validation: failed("authenticationFailed", check.result, true), kdfRan: check.kdfRan };
      return { validation: { kind: "authenticated", user: user.userName, reason: `authenticated as ${user.userName} (${describe(token.password)})` }, kdfRan: check.kdfRan };
    }
    case "specify_user": {
      const usernameMatches = secretsEqual(token.username, profile.username);
      const passwordMatches = passwordMatchesSecret(token, profile.password);
      if (!usernameMatches || !passwordMatches) {
        return { validation: failed("authenticationFailed", "username or password does not match the profile", true), kdfRan: false };
      }
      return {
        validation: { kind: "authenticated", user: profile.runAsUser, reason: `profile credentials matched (${describe(token.password)}); ${runAsText(profile)}` },
        kdfRan: false,
      };
    }
    default: {
      const never: never = profile;
      return { validation: failed("authenticationFailed", `unknown profile action ${String(never)}`, false), kdfRan: false };
    }
  }
}

/** What the client presented as its secret: the PasswordText, or the PasswordDigest bytes. */
function presentedSecret(password: UsernameTokenPassword): string | Buffer {
  return password.kind === "text" ? password.value : password.digest;
}

function findUser(config: GatewayConfig, field: "user_name" | "email", username: string): UserAccount | undefined {
  if (field === "user_name") return config.users.get(username);
  for (const user of config.users.values()) {
    if (user.email !== undefined && user.email === username) return user;
  }
  return undefined;
}

async function checkUserPassword(token: UsernameToken, credential: PasswordCredential): Promise<{ readonly result: "match" | string; readonly kdfRan: boolean }> {
  switch (credential.kind) {
    case "none":
      return { result: "user has no password", kdfRan: false };
    case "recoverable":
      return { result: passwordMatchesSecret(token, credential.value) ? "match" : `${describe(token.password)} does not match`, kdfRan: false };
    case "scrypt-hash":
      if (token.password.kind === "digest") return { result: "PasswordDigest needs a recoverable password (the user's password is a hash)", kdfRan: false };
      return { result: (await verifyScryptHash(token.password.value, credential.hash)) ? "match" : "PasswordText does not match", kdfRan: true };
    default: {
      const never: never = credential;
      return { result: `unknown credential ${String(never)}`, kdfRan: false };
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
