/** The long-lived collaborators every request uses. Per-request state never lives here. */
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { GatewayConfig } from "../config/types.js";
import type { Store } from "../store/types.js";
import type { ReplayCache } from "../replay/types.js";
import type { ReplayEpoch } from "../replay/epoch.js";
import type { CredentialCache } from "../auth/credential-cache.js";
import type { FailureStore } from "../abuse/failure-store.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { AdminRecorder } from "../admin/snapshot.js";
import type { DependencyProbe } from "./readiness.js";
import type { AdmissionControl } from "../pipeline/admission.js";

/** Holds the current configuration; a reload swaps the reference atomically. */
export interface ConfigHolder {
  current(): GatewayConfig;
}

export interface GatewayServices {
  readonly configs: ConfigHolder;
  readonly store: Store;
  readonly replayCache: ReplayCache;
  /** When the replay cache's memory began: messages created before it are refused as expired (SPEC §7). */
  readonly replayEpoch: ReplayEpoch;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly credentialCache: CredentialCache;
  /** Failed credentials per client address and user name (brute-force throttling); shared through Redis when there is one. */
  readonly throttle: FailureStore;
  /** This gateway's Prometheus registry and counters. */
  readonly metrics: GatewayMetrics;
  /** What the admin console shows of this process: refused requests, rates, last reload (src/admin/). */
  readonly admin: AdminRecorder;
  /** The dependencies a request needs, as /readyz checks them. */
  readonly dependencies: readonly DependencyProbe[];
  /** Requests and body bytes in flight against `limits.max_concurrent_requests` / `max_inflight_body_bytes`. */
  readonly admission: AdmissionControl;
  /** How long a SOAP body may take to arrive once reading starts; then 408. */
  readonly bodyReadTimeoutMs: number;
}
