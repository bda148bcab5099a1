/**
 * The in-process replay cache (one worker). `remember` is atomic because
 * it runs synchronously between awaits. Entries expire at their TTL by the
 * injected clock. Memory is bounded by `maxEntries`: expired entries are
 * swept first, and when every entry is still live the cache refuses the new
 * key (throws ReplayCacheFullError) instead of forgetting a live one, which
 * would let that message be replayed. The engine turns the refusal into a
 * refused request (fail closed). Size the bound for the peak of accepted
 * messages per TTL window (the default 1,000,000 keys ≈ 150 MB).
 */
import type { Clock } from "../clock.js";
import type { ReplayCache } from "./types.js";

export class ReplayCacheFullError extends Error {
  constructor(maxEntries: number) {
    super(`replay cache holds ${maxEntries} unexpired entries`);
    this.name = "ReplayCacheFullError";
  }
}

export interface MemoryReplayCacheOptions {
  readonly maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;
/** Expired entries looked at (and dropped) per call, so cleanup is spread over requests. */
const SWEEP_PER_CALL = 4;

export class MemoryReplayCache implements ReplayCache {
  /** key → expiry (epoch ms). Map order is insertion order, which is roughly expiry order. */
  private readonly expiresAtMs = new Map<string, number>();
  private readonly maxEntries: number;
  private lastFullSweepMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    options: MemoryReplayCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
  }

  async remember(key: string, ttlSeconds: number): Promise<"first-use" | "replayed"> {
    const nowMs = this.clock.now().getTime();
    this.sweepOldest(nowMs, SWEEP_PER_CALL);
    const existing = this.expiresAtMs.get(key);
    if (existing !== undefined && existing > nowMs) return "replayed";
    if (existing !== undefined) this.expiresAtMs.delete(key);
    if (this.expiresAtMs.size >= this.maxEntries) {
      // A full sweep is O(entries): at most one per second, so a full cache cannot be made to sweep per request.
      if (nowMs - this.lastFullSweepMs >= 1000) this.sweepAllExpired(nowMs);
      if (this.expiresAtMs.size >= this.maxEntries) throw new ReplayCacheFullError(this.maxEntries);
    }
    this.expiresAtMs.set(key, nowMs + ttlSeconds * 1000);
    return "first-use";
  }

  async seen(key: string): Promise<boolean> {
    const expiresAtMs = this.expiresAtMs.get(key);
    return expiresAtMs !== undefined && expiresAtMs > this.clock.now().getTime();
  }

  async size(): Promise<number> {
    this.sweepAllExpired(this.clock.now().getTime());
    return this.expiresAtMs.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.expiresAtMs.clear();
  }

  /** Drops expired entries from the front (oldest insertions) until a live one or `limit`. */
  private sweepOldest(nowMs: number, limit: number): void {
    let looked = 0;
    for (const [key, expiresAtMs] of this.expiresAtMs) {
      if (looked++ >= limit || expiresAtMs > nowMs) return;
      this.expiresAtMs.delete(key);
    }
  }

  private sweepAllExpired(nowMs: number): void {
    this.lastFullSweepMs = nowMs;
    for (const [key, expiresAtMs] of this.expiresAtMs) {
      if (expiresAtMs <= nowMs) this.expiresAtMs.delete(key);
    }
  }
}
