/**
 * The last refused requests of this process, with their explain trace, for
 * the admin console: a bounded ring (the oldest entry goes when it is full).
 * Entries hold what the audit line holds (names, ids, outcomes, reasons and
 * the WS-Security steps) — never passwords, nonces, keys or bodies.
 */
import type { ShadowAudit } from "../observability/audit.js";

export interface RefusalEntry {
  /** ISO 8601. */
  readonly at: string;
  readonly requestId: string;
  readonly clientAddress: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly basicUser: string | undefined;
  readonly table: string | undefined;
  readonly operation: string | undefined;
  readonly policy: string | undefined;
  /** The fault string or HTTP message the client got. */
  readonly answer: string;
  readonly reason: string | undefined;
  /** The WS-Security decision's steps and each profile's result. */
  readonly trace: readonly string[];
  readonly shadow: ShadowAudit | undefined;
}

export const DEFAULT_REFUSAL_LOG_SIZE = 100;

export class RefusalLog {
  readonly #entries: RefusalEntry[] = [];
  constructor(readonly capacity: number = DEFAULT_REFUSAL_LOG_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  }

  record(entry: RefusalEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.shift();
  }

  /** Newest first. */
  entries(): RefusalEntry[] {
    return [...this.#entries].reverse();
  }
}
