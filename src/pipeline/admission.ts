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
  /** Gives the slot back (idempotent). */
  release(): void;
}

export interface AdmissionControl {
  admit(declaredBodyBytes: number, limits: AdmissionLimits): AdmissionResult;
  /** Requests admitted and not yet released, and their body bytes (for tests and metrics). */
  inFlight(): { readonly requests: number; readonly bodyBytes: number };
}

export function createAdmissionControl(): AdmissionControl {
  let requests = 0;
  let bodyBytes = 0;
  return {
    admit(declaredBodyBytes, limits) {
      if (requests + 1 > limits.maxConcurrentRequests) return { kind: "refused", limit: "concurrent_requests" };
      if (bodyBytes + declaredBodyBytes > limits.maxInflightBodyBytes) return { kind: "refused", limit: "inflight_body_bytes" };
      requests += 1;
      bodyBytes += declaredBodyBytes;
      let held = declaredBodyBytes;
      let released = false;
      return {
        kind: "admitted",
        slot: {
          countRead(bytes) {
            if (released) return false;
            held += bytes;
            bodyBytes += bytes;
            return bodyBytes <= limits.maxInflightBodyBytes;
          },
          release() {
            if (released) return;
            released = true;
            requests -= 1;
            bodyBytes -= held;
          },
        },
      };
    },
    inFlight: () => ({ requests, bodyBytes }),
  };
}

/** Seconds an overloaded gateway asks a client to wait. */
export const ADMISSION_RETRY_AFTER_SECONDS = 1;
