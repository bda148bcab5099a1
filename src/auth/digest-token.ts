/**
 * Digest-token sign-on (docs/digest-token.md): the platform's SM_USER /
 * DE_USER pair. The token is Base64(HMAC(secret, message)) where the message
 * is the user as sent, or `user:DE_TIME` when `max_age_seconds` is set (then
 * DE_TIME, Unix seconds, is required and must be recent). Tokens are compared
 * in constant time; neither the token nor the secret is ever returned in a
 * reason.
 */
import { createHmac } from "node:crypto";
import type { DigestTokenSettings, HmacAlgorithm } from "../config/types.js";
import { secretsEqual } from "./password.js";

/** The header (and query parameter) that carries the token's time when max_age_seconds is set. */
export const DIGEST_TOKEN_TIME_NAME = "DE_TIME";

const NODE_HMAC: Readonly<Record<HmacAlgorithm, string>> = {
  HmacSHA1: "sha1",
  HmacSHA224: "sha224",
  HmacSHA256: "sha256",
  HmacSHA384: "sha384",
  HmacSHA512: "sha512",
  HmacMD5: "md5",
};

/** The message the HMAC covers: the user, or `user:DE_TIME`. */
export function digestTokenMessage(user: string, time: string | undefined): string {
  return time === undefined ? user : `${user}:${time}`;
}

/** Base64(HMAC(secret, message)), the DE_USER value. */
export function computeDigestToken(secret: string, algorithm: HmacAlgorithm, message: string): string {
  return createHmac(NODE_HMAC[algorithm], Buffer.from(secret, "utf8")).update(message, "utf8").digest("base64");
}

/** What a request presents, read from its headers or query parameters. */
export type DigestTokenClaim =
  | { readonly kind: "absent" }
  | { readonly kind: "unreadable"; readonly reason: string }
  | { readonly kind: "claim"; readonly user: string; readonly token: string | undefined; readonly time: string | undefined };

/** A request's headers (lower-case names, as Node gives them) and query parameters. */
export interface SignOnRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
}

/** The SM_USER / DE_USER / DE_TIME values; absent when the user name is not sent at all. */
export function readDigestTokenClaim(settings: DigestTokenSettings, request: SignOnRequest): DigestTokenClaim {
  const user = valueOf(settings.userHeader, request);
  const token = valueOf(settings.tokenHeader, request);
  const time = valueOf(DIGEST_TOKEN_TIME_NAME, request);
  if (user.kind === "absent") {
    return token.kind === "absent" ? { kind: "absent" } : { kind: "unreadable", reason: `${settings.tokenHeader} without ${settings.userHeader}` };
  }
  for (const [name, value] of [[settings.userHeader, user], [settings.tokenHeader, token], [DIGEST_TOKEN_TIME_NAME, time]] as const) {
    if (value.kind === "ambiguous") return { kind: "unreadable", reason: `${name} given more than once` };
  }
  return {
    kind: "claim",
    user: (user as { value: string }).value,
    token: token.kind === "value" ? token.value : undefined,
    time: time.kind === "value" ? time.value : undefined,
  };
}

type ReadValue = { readonly kind: "absent" } | { readonly kind: "ambiguous" } | { readonly kind: "value"; readonly value: string };

/** A header or a query parameter of that name; both, or either twice, with different values is ambiguous. */
function valueOf(name: string, request: SignOnRequest): ReadValue {
  const values = [request.headers[name.toLowerCase()], request.query[name]].flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
  const distinct = new Set(values);
  if (distinct.size === 0) return { kind: "absent" };
  if (distinct.size > 1) return { kind: "ambiguous" };
  const [value] = distinct;
  return value === "" ? { kind: "absent" } : { kind: "value", value: value! };
}

export type DigestTokenCheck =
  | { readonly kind: "valid" }
  /** `credentialFailure`: a wrong token (counts toward throttling); a missing part or a stale time does not. */
  | { readonly kind: "invalid"; readonly reason: string; readonly credentialFailure: boolean };

/** Checks the claim's token (and time) against the settings; `nowSeconds` is Unix time. */
export function checkDigestToken(
  settings: DigestTokenSettings,
  claim: { readonly user: string; readonly token: string | undefined; readonly time: string | undefined },
  nowSeconds: number,
  clockSkewSeconds: number,
): DigestTokenCheck {
  if (claim.token === undefined) return { kind: "invalid", reason: `${settings.userHeader} without ${settings.tokenHeader}`, credentialFailure: false };
  const maxAge = settings.maxAgeSeconds;
  if (maxAge !== undefined && claim.time === undefined) {
    return { kind: "invalid", reason: `${DIGEST_TOKEN_TIME_NAME} is required (max_age_seconds)`, credentialFailure: false };
  }
  if (claim.time !== undefined && !/^\d{1,15}$/.test(claim.time)) {
    return { kind: "invalid", reason: `${DIGEST_TOKEN_TIME_NAME} is not Unix seconds`, credentialFailure: false };
  }
  // Without max_age_seconds the token is the platform's: the HMAC of the user alone, DE_TIME ignored.
  const message = digestTokenMessage(claim.user, maxAge === undefined ? undefined : claim.time);
  const expected = computeDigestToken(settings.secret, settings.algorithm, message);
  if (!secretsEqual(claim.token, expected)) return { kind: "invalid", reason: "wrong digest token", credentialFailure: true };
  if (maxAge !== undefined) {
    const age = nowSeconds - Number(claim.time);
    if (age > maxAge) return { kind: "invalid", reason: `digest token older than max_age_seconds (${maxAge})`, credentialFailure: false };
    if (-age > clockSkewSeconds) return { kind: "invalid", reason: `${DIGEST_TOKEN_TIME_NAME} is in the future`, credentialFailure: false };
  }
  return { kind: "valid" };
}
