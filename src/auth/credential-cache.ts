/**
 * Remembers, for a short time, that a (user, password) pair verified against
 * a stored scrypt hash, so scrypt does not run on every request. Entries are
 * keyed by a keyed SHA-256 (a per-process random 256-bit secret prefixed to
 * user, password and the stored hash): the cache never holds a password, its
 * keys cannot be predicted or computed without the secret (which never leaves
 * the process, nor do the keys), and a changed hash in users.yaml no longer
 * matches. Only successes are cached; at most `maxEntries`, each for
 * `ttlSeconds`. A lookup compares keys only inside the Map, keys that an
 * attacker cannot choose, so its timing reveals nothing of the password.
 *
 * One-shot `crypto.hash` rather than `createHmac`: ~0.4 µs against ~2.4 µs
 * per request (an Hmac object and five updates), on every Basic-authenticated
 * request (docs/performance.md, "End to end"). Length extension does not
 * apply: no key is ever shown to anyone.
 */
import { hash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";

export interface CredentialCacheOptions {
  readonly ttlSeconds: number;
  readonly maxEntries: number;
}

export class CredentialCache {
  private readonly secret = randomBytes(32).toString("base64");
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
    // Lengths first: no two (user, password, hash) triples give the same input, whatever characters they hold.
    return hash("sha256", `${this.secret}\0${userName.length}\0${password.length}\0${userName}\0${password}\0${storedHash}`, "base64");
  }

  private evictOldest(): void {
    // Map iteration is insertion order, and every entry has the same TTL: the first is the oldest.
    const oldest = this.expiresAtMs.keys().next();
    if (!oldest.done) this.expiresAtMs.delete(oldest.value);
  }
}
