/**
 * Brute-force failure counts in this process's memory (SPEC §2 `throttle:`,
 * §3 429): the store when there is no shared Redis. Each process counts for
 * itself, so N workers or instances allow N times the attempts. The rules
 * are stated in failure-store.ts.
 */
import type { Clock } from "../clock.js";
import { clientKey } from "./client-key.js";
import { FailureWindow } from "./failure-window.js";
import {
  USER_BLOCK_FACTOR,
  addressVerdict,
  userVerdict,
  type AddressVerdict,
  type BlockedCounts,
  type CredentialFailure,
  type FailureStore,
  type ThrottleSettings,
  type UserVerdict,
} from "./failure-store.js";

export interface FailureTrackerOptions {
  /** Keys kept per kind (addresses, user names); default 10,000 each. */
  readonly maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 10_000;

export class FailureTracker implements FailureStore {
  private readonly addresses: FailureWindow;
  private readonly users: FailureWindow;

  constructor(
    private readonly clock: Clock,
    options: FailureTrackerOptions = {},
  ) {
    this.addresses = new FailureWindow(options.maxKeys ?? DEFAULT_MAX_KEYS);
    this.users = new FailureWindow(options.maxKeys ?? DEFAULT_MAX_KEYS);
  }

  async checkAddress(clientAddress: string): Promise<AddressVerdict> {
    return addressVerdict(this.addresses.blockedForMs(clientKey(clientAddress), this.nowMs()));
  }

  async checkUser(userName: string, settings: ThrottleSettings): Promise<UserVerdict> {
    const nowMs = this.nowMs();
    return userVerdict(this.users.blockedForMs(userName, nowMs), this.users.failuresInWindow(userName, nowMs, settings.windowSeconds), settings);
  }

  async recordFailure(failure: CredentialFailure, settings: ThrottleSettings): Promise<void> {
    const nowMs = this.nowMs();
    this.addresses.recordFailure(clientKey(failure.clientAddress), nowMs, settings.maxFailures, settings);
    if (failure.userName !== undefined) {
      this.users.recordFailure(failure.userName, nowMs, settings.maxFailures * USER_BLOCK_FACTOR, settings);
    }
  }

  async blockedCounts(): Promise<BlockedCounts> {
    const nowMs = this.nowMs();
    return { addresses: this.addresses.blockedCount(nowMs), users: this.users.blockedCount(nowMs) };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
