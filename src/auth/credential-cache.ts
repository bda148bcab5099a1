/**
 * Remembers, for a short time, that a (user, password) pair verified against
 * a stored scrypt hash, so scrypt does not run on every request. Entries are
 * keyed by an HMAC (per-process random key) of user, password and the stored
 * hash: the cache never holds a password, and a changed hash in users.yaml
 * no longer matches. Only successes are cached.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";

export interface CredentialCacheOptions {
  readonly ttlSeconds: number;
  readonly maxEntries: number;
}

export class CredentialCache {
  private readonly hmacKey = randomBytes(32);
  private readonly expiresAtMs = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly options: CredentialCacheOptions = { ttlSeconds: 60, maxEntries: 10_000 },
  ) {}

  has(userName: string, password: string, storedHash: string): boolean {
    const key = this.keyOf(userName, password, storedHash);
    const expiresAt = this.expiresAtMs.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt <= this.clock.now().getTime()) {
      this.expiresAtMs.delete(key);
      return false;
    }
    return true;
  }

  remember(userName: string, password: string, storedHash: string): void {
    if (this.expiresAtMs.size >= this.options.maxEntries) this.evictOldest();
    this.expiresAtMs.set(this.keyOf(userName, password, storedHash), this.clock.now().getTime() + this.options.ttlSeconds * 1000);
  }

  private keyOf(userName: string, password: string, storedHash: string): string {
    return createHmac("sha256", this.hmacKey).update(userName).update("\0").update(password).update("\0").update(storedHash).digest("base64");
  }

  private evictOldest(): void {
    // Map iteration is insertion order, and every entry has the same TTL: the first is the oldest.
    const oldest = this.expiresAtMs.keys().next();
    if (!oldest.done) this.expiresAtMs.delete(oldest.value);
  }
}
