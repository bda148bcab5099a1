/**
 * Rule: a message is accepted once.
 *
 * Keys: a signed message is identified by what was signed — a SHA-256 of
 * its canonical SignedInfo, which holds the digest of every signed part —
 * never by the SignatureValue bytes, so a re-encoded SignatureValue or an
 * ECDSA signature's malleable twin (r, n − s) is the same message. A
 * UsernameToken is identified by its (username, nonce) pair. Keys are
 * digests, so the cache (which may be a shared Redis) never holds nonces
 * or signature bytes.
 *
 * Lifetime: an entry lives until the message's own Created + TTL + clock
 * skew (the Timestamp's Created for a signature, the token's Created for a
 * nonce) — the last instant the message could still pass the freshness
 * check — whatever time verification took. A signed message without a
 * Timestamp (require_timestamp: false) has no Created: its entry lives
 * TTL + skew from the check, after which it could be replayed (which is why
 * check-config warns about that setting).
 *
 * Callers claim a key only after the signature or password verified, so
 * unverified values cannot fill the cache or block a legitimate message.
 */
import { createHash, hash } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { ReplayGuard } from "../../replay/guard.js";

export type ReplayCheck =
  | { readonly kind: "first-use" }
  | { readonly kind: "replayed"; readonly reason: string }
  | { readonly kind: "expired"; readonly reason: string }
  | { readonly kind: "unavailable"; readonly reason: string };

/** The key of a signed message: its canonical SignedInfo, i.e. exactly the bytes the SignatureValue signs. */
export function signedContentReplayKey(canonicalSignedInfo: Buffer): string {
  // One-shot `hash`: a Hash object per request costs more than hashing SignedInfo's kilobyte.
  return `sig:${hash("sha256", canonicalSignedInfo, "base64url")}`;
}

export function nonceReplayKey(username: string, nonce: Buffer): string {
  const name = Buffer.from(username, "utf8");
  // Length-prefixed so that no (username, nonce) pair can collide with another.
  return `nonce:${createHash("sha256").update(`${name.length}:`).update(name).update(nonce).digest("base64url")}`;
}

export interface ReplayWindow {
  readonly timestampTtlSeconds: number;
  readonly clockSkewSeconds: number;
}

/** Until when a message created at `created` (now, when it carries no Created) could still be accepted. */
export function replayEntryExpiry(created: Date | undefined, window: ReplayWindow, clock: Clock): Date {
  const base = created ?? clock.now();
  return new Date(base.getTime() + (window.timestampTtlSeconds + window.clockSkewSeconds) * 1000);
}

/**
 * Claims `key` until `expiresAt`. A claim made or completed when `expiresAt`
 * has passed (the freshness check ran, then verification or the cache was
 * slow) is refused as expired: the message's own window is over, and its
 * entry may be gone. So a message is admitted only while its entry is
 * certainly live: either the entry is there (replayed) or the window is
 * over (expired), whatever happened in between.
 */
export async function checkReplay(guard: ReplayGuard, key: string, expiresAt: Date, what: string, clock: Clock): Promise<ReplayCheck> {
  const windowOver = (): boolean => expiresAt.getTime() <= clock.now().getTime();
  if (windowOver()) return { kind: "expired", reason: `${what}: its window ended before the replay check` };
  let answer;
  try {
    answer = await guard.claim(key, expiresAt);
  } catch {
    return { kind: "unavailable", reason: "replay cache unavailable" };
  }
  if (answer === "replayed") return { kind: "replayed", reason: `${what} was already accepted within its window` };
  // A slow cache call: the claim may have landed after an earlier entry expired. Checked again, by construction.
  if (windowOver()) return { kind: "expired", reason: `${what}: its window ended during the replay check` };
  return { kind: "first-use" };
}
