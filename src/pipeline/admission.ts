/**
 * Stage: admission (SPEC §2 `limits`). Before its body is read, a request
 * takes a slot: one of `max_concurrent_requests`, and its declared
 * Content-Length out of `max_inflight_body_bytes` (all requests being read
 * or processed together). A request that would pass either limit gets 503
 * `Service temporarily unavailable` with Retry-After at once, its body
 * unread, so overload costs memory and CPU only up to the limits. A chunked
 * body (no Content-Length) is counted as it is read, and the chunk that
 * takes the total past `max_inflight_body_bytes` ends the read with the same
 * 503 (src/pipeline/read-body.ts). The slot is given back when the request
 * has been answered, or its connection closed, whichever comes first.
 *
 * Parsing waits for room (it is never refused for it): a request whose body
 * has been read takes its body's bytes out of a budget of one eighth of
 * `max_inflight_body_bytes` (8 MiB by default) before it is parsed, and gives
 * them back when its slot is released. A parsed request holds its tree, its
 * records and then its response until it is answered (about 10x its body for
 * element-heavy requests), and a write is answered only once its commit is
 * on disk (src/store/wal-sync.ts): without the budget a burst was parsed and
 * committed faster than the disk synced, and held every request in memory
 * at once (docs/performance.md, "group commit"). Requests wait in arrival
 * order; one request is always let in when none is parsed, whatever its
 * size. A request whose connection closes while it waits leaves the queue.
 *
 * The counts are per process: with `--workers N` each worker admits up to
 * the limits.
 */
import type { AdmissionLimit } from "../observability/metrics.js";

export interface AdmissionLimits {
  readonly maxConcurrentRequests: number;
  readonly maxInflightBodyBytes: number;
}

export type AdmissionResult = { readonly kind: "admitted"; readonly slot: AdmissionSlot } | { readonly kind: "refused"; readonly limit: AdmissionLimit };

export interface AdmissionSlot {
  /**
   * Counts bytes of a body without Content-Length as they are read; false
   * when they take the bytes in flight past `max_inflight_body_bytes` (the
   * request is then refused with 503).
   */
  countRead(bytes: number): boolean;
  /**
   * Takes `bodyBytes` of the parse budget before the body is parsed: true at
   * once when there is room (no promise to wait for), else a promise of true
   * once there is, or of false when the slot was released while it waited.
   */
  admitParse(bodyBytes: number): true | Promise<boolean>;
  /** Gives the slot back (idempotent), with its part of the parse budget or its place in the queue. */
  release(): void;
}

export interface AdmissionControl {
  admit(declaredBodyBytes: number, limits: AdmissionLimits): AdmissionResult;
  /** Requests admitted and not yet released, and their body bytes (for tests and metrics). */
  inFlight(): { readonly requests: number; readonly bodyBytes: number };
  /** Requests parsed (or being parsed) and not yet released, their body bytes, and the requests waiting to be parsed. */
  parsing(): { readonly requests: number; readonly bodyBytes: number; readonly waiting: number };
}

/** The share of `max_inflight_body_bytes` that requests parsed and not yet answered may hold. */
export const PARSE_BUDGET_SHARE = 8;

export function parseBudgetBytes(limits: AdmissionLimits): number {
  return Math.floor(limits.maxInflightBodyBytes / PARSE_BUDGET_SHARE);
}

interface ParseWaiter {
  readonly bodyBytes: number;
  readonly budget: number;
  readonly admit: (admitted: boolean) => void;
}

export function createAdmissionControl(): AdmissionControl {
  let requests = 0;
  let bodyBytes = 0;
  let parsedRequests = 0;
  let parsedBytes = 0;
  const queue: ParseWaiter[] = [];
  const fits = (bytes: number, budget: number) => parsedRequests === 0 || parsedBytes + bytes <= budget;
  const letInWaiting = () => {
    while (queue.length > 0 && fits(queue[0]!.bodyBytes, queue[0]!.budget)) {
      const next = queue.shift()!;
      parsedRequests += 1;
      parsedBytes += next.bodyBytes;
      next.admit(true);
    }
  };
  return {
    admit(declaredBodyBytes, limits) {
      if (requests + 1 > limits.maxConcurrentRequests) return { kind: "refused", limit: "concurrent_requests" };
      if (bodyBytes + declaredBodyBytes > limits.maxInflightBodyBytes) return { kind: "refused", limit: "inflight_body_bytes" };
      requests += 1;
      bodyBytes += declaredBodyBytes;
      let held = declaredBodyBytes;
      let released = false;
      let parsedHeld: number | undefined;
      let waiter: ParseWaiter | undefined;
      return {
        kind: "admitted",
        slot: {
          countRead(bytes) {
            if (released) return false;
            held += bytes;
            bodyBytes += bytes;
            return bodyBytes <= limits.maxInflightBodyBytes;
          },
          admitParse(bytes) {
            if (released) return Promise.resolve(false);
            if (parsedHeld !== undefined) return true;
            const budget = parseBudgetBytes(limits);
            if (queue.length === 0 && fits(bytes, budget)) {
              parsedHeld = bytes;
              parsedRequests += 1;
              parsedBytes += bytes;
              return true;
            }
            return new Promise<boolean>((resolve) => {
              waiter = {
                bodyBytes: bytes,
                budget,
                admit: (admitted) => {
                  waiter = undefined;
                  if (admitted) parsedHeld = bytes;
                  resolve(admitted);
                },
              };
              queue.push(waiter);
            });
          },
          release() {
            if (released) return;
            released = true;
            requests -= 1;
            bodyBytes -= held;
            if (waiter !== undefined) {
              queue.splice(queue.indexOf(waiter), 1);
              waiter.admit(false);
            }
            if (parsedHeld !== undefined) {
              parsedRequests -= 1;
              parsedBytes -= parsedHeld;
              parsedHeld = undefined;
            }
            letInWaiting();
          },
        },
      };
    },
    inFlight: () => ({ requests, bodyBytes }),
    parsing: () => ({ requests: parsedRequests, bodyBytes: parsedBytes, waiting: queue.length }),
  };
}

/** Seconds an overloaded gateway asks a client to wait. */
export const ADMISSION_RETRY_AFTER_SECONDS = 1;
