/**
 * Where brute-force failure counts live: in this process's memory
 * (FailureTracker) or in a Redis shared by every worker and instance
 * (RedisFailureStore). Both apply the same rules, stated here once:
 *
 * - Address: `max_failures` within `window_seconds` blocks the address until
 *   `cooldown_seconds` after the failure that reached the limit.
 * - User name (from any addresses): from `max_failures` failures on, every
 *   attempt for that name is slowed (250 ms more per failure, at most 1 s);
 *   at twice `max_failures` the name is refused for the cool-down. The user
 *   limit is the higher one so that one attacking address is blocked before
 *   it can lock the real user out: locking a user takes failures from
 *   several addresses, and even then only for the cool-down.
 *
 * A success resets nothing: an attacker holding one valid account must not
 * be able to launder its failures with it.
 */
import type { GatewaySettings } from "../config/types.js";

export type ThrottleSettings = GatewaySettings["throttle"];

export type AddressVerdict = { readonly kind: "open" } | { readonly kind: "blocked"; readonly retryAfterSeconds: number };

export type UserVerdict =
  | { readonly kind: "open" }
  | { readonly kind: "slowed"; readonly delayMs: number }
  | { readonly kind: "blocked"; readonly retryAfterSeconds: number };

export interface CredentialFailure {
  readonly clientAddress: string;
  /** The user name the failed credential claimed, when it named one. */
  readonly userName: string | undefined;
}

export interface BlockedCounts {
  readonly addresses: number;
  readonly users: number;
}

export interface FailureStore {
  checkAddress(clientAddress: string): Promise<AddressVerdict>;
  checkUser(userName: string, settings: ThrottleSettings): Promise<UserVerdict>;
  recordFailure(failure: CredentialFailure, settings: ThrottleSettings): Promise<void>;
  /** How many addresses and user names are refused right now (for /metrics; may be approximate). */
  blockedCounts(): Promise<BlockedCounts>;
  /** Resolves when the store answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const SLOWDOWN_STEP_MS = 250;
export const MAX_SLOWDOWN_MS = 1000;
/** A user name is refused at this many times `max_failures`. */
export const USER_BLOCK_FACTOR = 2;

export function addressVerdict(blockedForMs: number): AddressVerdict {
  return blockedForMs > 0 ? { kind: "blocked", retryAfterSeconds: Math.ceil(blockedForMs / 1000) } : { kind: "open" };
}

export function userVerdict(blockedForMs: number, failuresInWindow: number, settings: ThrottleSettings): UserVerdict {
  if (blockedForMs > 0) return { kind: "blocked", retryAfterSeconds: Math.ceil(blockedForMs / 1000) };
  if (failuresInWindow < settings.maxFailures) return { kind: "open" };
  return { kind: "slowed", delayMs: Math.min(MAX_SLOWDOWN_MS, SLOWDOWN_STEP_MS * (failuresInWindow - settings.maxFailures + 1)) };
}
