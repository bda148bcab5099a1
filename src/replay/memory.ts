/**
 * The in-process replay cache (one worker). `reserve` is atomic because it
 * runs synchronously between awaits. Entries expire at their own expiry by
 * the injected clock. Memory is bounded by `maxEntries`: expired entries are
 * swept first, and when every entry is still live the cache refuses the new
 * key (throws ReplayCacheFullError) instead of forgetting a live one, which
 * would let that message be replayed. The engine turns the refusal into a
 * refused request (fail closed). Size the bound for the peak of accepted
 * messages per TTL window (the default 1,000,000 keys ≈ 150 MB).
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { ReplayCache, ReplayReservation } from "./types.js";

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

interface Entry {
  readonly expiresAtMs: number;
  readonly token: string;
}

export class MemoryReplayCache implements ReplayCache {
  /** key → entry. Map order is insertion order, which is roughly expiry order. */
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private lastFullSweepMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    options: MemoryReplayCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
  }

  async reserve(key: string, expiresAt: Date): Promise<ReplayReservation> {
    const nowMs = this.clock.now().getTime();
    this.sweepOldest(nowMs, SWEEP_PER_CALL);
    const existing = this.entries.get(key);
    if (existing !== undefined && existing.expiresAtMs > nowMs) return { kind: "replayed" };
    if (existing !== undefined) this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // A full sweep is O(entries): at most one per second, so a full cache cannot be made to sweep per request.
      if (nowMs - this.lastFullSweepMs >= 1000) this.sweepAllExpired(nowMs);
      if (this.entries.size >= this.maxEntries) throw new ReplayCacheFullError(this.maxEntries);
    }
    const token = randomUUID();
    this.entries.set(key, { expiresAtMs: expiresAt.getTime(), token });
    return { kind: "reserved", token };
  }

  async release(key: string, token: string): Promise<void> {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  async seen(key: string): Promise<boolean> {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAtMs > this.clock.now().getTime();
  }

  async size(): Promise<number> {
    this.sweepAllExpired(this.clock.now().getTime());
    return this.entries.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** Drops expired entries from the front (oldest insertions) until a live one or `limit`. */
  private sweepOldest(nowMs: number, limit: number): void {
    let looked = 0;
    for (const [key, entry] of this.entries) {
      if (looked++ >= limit || entry.expiresAtMs > nowMs) return;
      this.entries.delete(key);
    }
  }

  private sweepAllExpired(nowMs: number): void {
    this.lastFullSweepMs = nowMs;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAtMs <= nowMs) this.entries.delete(key);
    }
  }
}
