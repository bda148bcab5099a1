/**
 * Failed credentials per key (a client address or a user name) in a sliding
 * window, with a block that lasts `cooldownSeconds` after the failure that
 * reached the limit. Memory is bounded: each key keeps at most `blockAt`
 * timestamps, and the map holds at most `maxKeys` keys. The map is kept in
 * order of last failure, so the oldest entries are at its front: expired ones
 * are dropped from there as new failures arrive, and when every key is still
 * live the least recently failing one is forgotten (it is the one closest to
 * expiring anyway).
 */

export interface WindowSettings {
  readonly windowSeconds: number;
  readonly cooldownSeconds: number;
}

interface Entry {
  /** Epoch ms of the failures still inside the window, oldest first. */
  failuresMs: number[];
  /** Epoch ms until which the key is blocked (0 = not blocked). */
  blockedUntilMs: number;
  /** When this entry can be forgotten: the last failure leaves the window and any block has ended. */
  forgetAtMs: number;
}

/** Expired entries dropped per recorded failure, so cleanup is spread over requests. */
const SWEEP_PER_FAILURE = 4;

export class FailureWindow {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxKeys: number) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError("maxKeys must be a positive integer");
  }

  /** Counts one failure for `key`; when the count in the window reaches `blockAt`, blocks it for the cool-down. */
  recordFailure(key: string, nowMs: number, blockAt: number, settings: WindowSettings): void {
    this.sweepOldest(nowMs, SWEEP_PER_FAILURE);
    const windowStartMs = nowMs - settings.windowSeconds * 1000;
    const entry = this.entries.get(key) ?? { failuresMs: [], blockedUntilMs: 0, forgetAtMs: 0 };
    this.entries.delete(key); // re-inserted at the back: the map stays in order of last failure
    entry.failuresMs = entry.failuresMs.filter((atMs) => atMs > windowStartMs);
    entry.failuresMs.push(nowMs);
    if (entry.failuresMs.length > blockAt) entry.failuresMs.splice(0, entry.failuresMs.length - blockAt);
    if (entry.failuresMs.length >= blockAt) entry.blockedUntilMs = nowMs + settings.cooldownSeconds * 1000;
    entry.forgetAtMs = Math.max(nowMs + settings.windowSeconds * 1000, entry.blockedUntilMs);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Milliseconds left of the key's block, or 0. */
  blockedForMs(key: string, nowMs: number): number {
    const entry = this.entries.get(key);
    return entry && entry.blockedUntilMs > nowMs ? entry.blockedUntilMs - nowMs : 0;
  }

  /** Failures of the key inside the window ending now. */
  failuresInWindow(key: string, nowMs: number, windowSeconds: number): number {
    const windowStartMs = nowMs - windowSeconds * 1000;
    return this.entries.get(key)?.failuresMs.filter((atMs) => atMs > windowStartMs).length ?? 0;
  }

  /** Keys blocked right now (O(keys); for /metrics). */
  blockedCount(nowMs: number): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.blockedUntilMs > nowMs) count++;
    return count;
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.entries.size;
  }

  private sweepOldest(nowMs: number, limit: number): void {
    for (const [key, entry] of this.entries) {
      if (limit-- <= 0 || entry.forgetAtMs > nowMs) return;
      this.entries.delete(key);
    }
  }
}
