/**
 * Rule: a message is accepted once. The SignatureValue of an accepted
 * signature and a UsernameToken's (username, nonce) are remembered for the
 * Timestamp/Created TTL plus the clock skew — after that the message is
 * refused as expired anyway. Keys are SHA-256 digests, so the cache (which
 * may be a shared Redis) never holds nonces or signature bytes. Callers
 * check replay only after the signature or password verified, so that
 * unverified values cannot fill the cache or block a legitimate message.
 */
import { createHash } from "node:crypto";
import type { ReplayCache } from "../../replay/types.js";

export type ReplayCheck =
  | { readonly kind: "first-use" }
  | { readonly kind: "replayed"; readonly reason: string }
  | { readonly kind: "unavailable"; readonly reason: string };

export function signatureReplayKey(signatureValue: Buffer): string {
  return `sig:${createHash("sha256").update(signatureValue).digest("base64url")}`;
}

export function nonceReplayKey(username: string, nonce: Buffer): string {
  const name = Buffer.from(username, "utf8");
  // Length-prefixed so that no (username, nonce) pair can collide with another.
  return `nonce:${createHash("sha256").update(`${name.length}:`).update(name).update(nonce).digest("base64url")}`;
}

export function replayTtlSeconds(settings: { readonly timestampTtlSeconds: number; readonly clockSkewSeconds: number }): number {
  return settings.timestampTtlSeconds + settings.clockSkewSeconds;
}

export async function checkReplay(cache: ReplayCache, key: string, ttlSeconds: number, what: string): Promise<ReplayCheck> {
  try {
    const seen = await cache.remember(key, ttlSeconds);
    return seen === "first-use" ? { kind: "first-use" } : { kind: "replayed", reason: `${what} was already accepted within ${ttlSeconds}s` };
  } catch {
    return { kind: "unavailable", reason: "replay cache unavailable" };
  }
}
