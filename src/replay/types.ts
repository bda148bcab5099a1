/**
 * The replay cache: remembers UsernameToken (username, nonce) pairs and the
 * signed content of accepted signed messages until their own expiry, across
 * every worker and instance that shares it (memory: one process; Redis:
 * shared).
 *
 * An entry is first *reserved* (atomically: of two concurrent reservations
 * of one key exactly one succeeds) with its full lifetime, so a crash never
 * leaves a message replayable. The request that reserved it then either
 * keeps it (the message was executed) or *releases* it (the request ended
 * in something that is not about the message's authenticity: a wrong table,
 * a bad value, a store outage…), and only its own reservation is deleted.
 */
export type ReplayReservation = { readonly kind: "reserved"; readonly token: string } | { readonly kind: "replayed" };

export interface ReplayCache {
  /**
   * Atomically records `key` until `expiresAt` unless it is already held.
   * "reserved" carries a token that identifies this reservation (for release).
   * Rejects when the cache cannot answer (the caller fails closed).
   */
  reserve(key: string, expiresAt: Date): Promise<ReplayReservation>;
  /** Deletes `key` if it is still the reservation `token` (never someone else's later entry). */
  release(key: string, token: string): Promise<void>;
  /** Whether `key` is held (reserved or kept and not expired); records nothing (check-only views). */
  seen(key: string): Promise<boolean>;
  /** Entries currently held (for /metrics); may be approximate for shared caches. */
  size(): Promise<number>;
  /** Resolves when the cache answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
