/**
 * Brute-force throttling (SPEC §2 `throttle:`, §3 429). Failed credentials
 * — a wrong Basic or UsernameToken password/digest, an unknown or inactive
 * user — are counted per client address and per user name:
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
import type { Clock } from "../clock.js";
import type { GatewaySettings } from "../config/types.js";
import { clientKey } from "./client-key.js";
import { FailureWindow } from "./failure-window.js";

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

export interface FailureTrackerOptions {
  /** Keys kept per kind (addresses, user names); default 10,000 each. */
  readonly maxKeys?: number;
}

export const SLOWDOWN_STEP_MS = 250;
export const MAX_SLOWDOWN_MS = 1000;
/** A user name is refused at this many times `max_failures`. */
export const USER_BLOCK_FACTOR = 2;

const DEFAULT_MAX_KEYS = 10_000;

export class FailureTracker {
  private readonly addresses: FailureWindow;
  private readonly users: FailureWindow;

  constructor(
    private readonly clock: Clock,
    options: FailureTrackerOptions = {},
  ) {
    this.addresses = new FailureWindow(options.maxKeys ?? DEFAULT_MAX_KEYS);
    this.users = new FailureWindow(options.maxKeys ?? DEFAULT_MAX_KEYS);
  }

  checkAddress(clientAddress: string): AddressVerdict {
    const blockedMs = this.addresses.blockedForMs(clientKey(clientAddress), this.nowMs());
    return blockedMs > 0 ? { kind: "blocked", retryAfterSeconds: Math.ceil(blockedMs / 1000) } : { kind: "open" };
  }

  checkUser(userName: string, settings: ThrottleSettings): UserVerdict {
    const nowMs = this.nowMs();
    const blockedMs = this.users.blockedForMs(userName, nowMs);
    if (blockedMs > 0) return { kind: "blocked", retryAfterSeconds: Math.ceil(blockedMs / 1000) };
    const failures = this.users.failuresInWindow(userName, nowMs, settings.windowSeconds);
    if (failures < settings.maxFailures) return { kind: "open" };
    return { kind: "slowed", delayMs: Math.min(MAX_SLOWDOWN_MS, SLOWDOWN_STEP_MS * (failures - settings.maxFailures + 1)) };
  }

  recordFailure(failure: CredentialFailure, settings: ThrottleSettings): void {
    const nowMs = this.nowMs();
    this.addresses.recordFailure(clientKey(failure.clientAddress), nowMs, settings.maxFailures, settings);
    if (failure.userName !== undefined) {
      this.users.recordFailure(failure.userName, nowMs, settings.maxFailures * USER_BLOCK_FACTOR, settings);
    }
  }

  /** How many addresses and user names are refused right now (for /metrics). */
  blockedCounts(): { readonly addresses: number; readonly users: number } {
    const nowMs = this.nowMs();
    return { addresses: this.addresses.blockedCount(nowMs), users: this.users.blockedCount(nowMs) };
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
