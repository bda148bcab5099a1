/**
 * The replay cache: remembers UsernameToken (username, nonce) pairs and the
 * SignatureValues of accepted signed messages for the TTL, across every
 * worker and instance that shares it (memory: one process; Redis: shared).
 */
export interface ReplayCache {
  /**
   * Atomically records `key` for `ttlSeconds` and reports whether it was new.
   * Returns "first-use" the first time within the TTL, "replayed" after.
   */
  remember(key: string, ttlSeconds: number): Promise<"first-use" | "replayed">;
  /** Whether `key` is recorded and still live; never records anything (the shadow policy's check-only view). */
  seen(key: string): Promise<boolean>;
  /** Entries currently held (for /metrics); may be approximate for shared caches. */
  size(): Promise<number>;
  /** Resolves when the cache answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
