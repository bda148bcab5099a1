/**
 * Prometheus metrics (SPEC §7), served at /metrics.
 *
 * Two registries, merged for each gateway's /metrics:
 * - process-wide: Node's default metrics and configuration reloads (the
 *   reloader belongs to the process, and prom-client allows one collector of
 *   a name per registry);
 * - per gateway (createGatewayMetrics, kept on GatewayServices): requests,
 *   latency, throttling, credential failures, and the gauges read at scrape
 *   time from that gateway's current configuration, replay cache and
 *   throttle — so two gateways in one process never mix their values.
 *
 * With `serve --workers N` (scope "cluster-worker") a scrape of any worker
 * answers the metrics of all workers, aggregated by the primary
 * (cluster/metrics-primary.ts): the gateway metrics by their `aggregator`
 * (counters and histograms summed), the process-wide ones per worker, with
 * a `worker` label.
 */
import cluster from "node:cluster";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { joinClusterMetrics } from "../cluster/metrics-worker.js";
import type { MetricSample, MetricSnapshot, MetricsJson } from "../cluster/metrics-messages.js";
import type { ConfiguredCertificate, GatewayConfig } from "../config/types.js";
import type { AuditRecord, ShadowAudit } from "./audit.js";
import { certificateInventory } from "./certificate-inventory.js";
import { SHADOW_FAULT_IDS } from "../wss/shadow.js";
import { FAULTS, type FaultId } from "../soap/faults.js";

const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

const configReloads = new Counter({
  name: "wss_gateway_config_reloads_total",
  help: "Configuration reloads by result (success | failure)",
  labelNames: ["result"] as const,
  registers: [processRegistry],
});

// Every series an alert may watch exists from start, at zero: `increase(...[5m]) > 0` must see the first failure.
for (const result of ["success", "failure"] as const) configReloads.inc({ result }, 0);

export function recordConfigReload(result: "success" | "failure"): void {
  configReloads.inc({ result });
}

/** What the scrape-time gauges read. */
export interface MetricSources {
  currentConfig(): GatewayConfig;
  /** The TLS server certificate (`serve --tls-cert`), when there is one. */
  tlsCertificate?(): ConfiguredCertificate | undefined;
  now(): Date;
  replayCacheSize(): Promise<number>;
  /** With a shared (Redis) throttle store these are the whole deployment's counts. */
  blockedCounts(): Promise<{ readonly addresses: number; readonly users: number }>;
  /** Requests admitted and not yet answered, and their body bytes (src/pipeline/admission.ts). */
  inFlight?(): { readonly requests: number; readonly bodyBytes: number };
}

export type ThrottleScope = "address" | "user";
export type ThrottleAction = "refused" | "slowed";
export type CredentialSource = "basic" | "digest-token" | "ws-security";
export type ThrottleStoreOperation = "check" | "record";
/** A dependency a request needs (SPEC §7), as a metric label. */
export type DependencyLabel = "store" | "replay_cache" | "throttle_store";
/** The admission limit (SPEC §2 `limits`) that refused a request with 503. */
export type AdmissionLimit = "concurrent_requests" | "inflight_body_bytes";

/** The statuses the gateway answers outside SOAP faults (SPEC §3), for the zero series. */
const HTTP_ERROR_STATUSES = [400, 401, 403, 404, 405, 408, 413, 415, 429, 503] as const;

/**
 * Whose metrics a scrape answers: this process's, or (a node:cluster worker
 * of `serve --workers N`) every worker's.
 */
export type MetricsScope = "process" | "cluster-worker";

/** What /metrics answers. */
export type MetricsScrape =
  | { readonly kind: "metrics"; readonly contentType: string; readonly body: string }
  | { readonly kind: "unavailable"; readonly reason: string };

/** How long a worker waits for the primary's aggregate; the primary gives the workers less (cluster/primary.ts). */
const CLUSTER_SCRAPE_TIMEOUT_MS = 3_000;

export interface GatewayMetrics {
  /** This gateway's metrics and the process-wide ones. */
  readonly registry: Registry;
  /** The metrics /metrics serves, for the scope the gateway was created with. */
  scrape(): Promise<MetricsScrape>;
  /** Stops answering the cluster primary (scope "cluster-worker"). */
  close(): void;
  readonly requests: Counter<"outcome" | "fault" | "status">;
  readonly certificateVerifications: Counter<"profile" | "fingerprint">;
  readonly latency: Histogram<"outcome">;
  readonly throttled: Counter<"scope" | "action">;
  readonly credentialFailures: Counter<"source">;
  readonly throttleStoreUnavailable: Counter<"operation">;
  readonly dependencyErrors: Counter<"dependency">;
  readonly admissionRefused: Counter<"limit">;
  readonly replayEpochMarkerDistrusted: Counter<"marker">;
  readonly shadowDecisions: Counter<"verdict" | "fault">;
  readonly shadowDecisionsByUser: Counter<"user" | "verdict" | "fault">;
  /** The `user` label for a basic user: itself for the first SHADOW_USER_LABEL_CAP names seen, "other" after. */
  shadowUserLabel(userName: string): string;
}

/** Distinct basic users labelled by name in wss_gateway_shadow_decisions_by_user_total (per process); later ones are "other". */
export const SHADOW_USER_LABEL_CAP = 50;
export const SHADOW_OTHER_USERS = "other";

export function createGatewayMetrics(sources: MetricSources, scope: MetricsScope = "process"): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: "wss_gateway_requests_total",
    help: "Requests by outcome and fault",
    labelNames: ["outcome", "fault", "status"] as const,
    registers,
  });
  const latency = new Histogram({
    name: "wss_gateway_request_duration_seconds",
    help: "Request latency",
    labelNames: ["outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const throttled = new Counter({
    name: "wss_gateway_throttled_requests_total",
    help: "Requests refused (429) or slowed by brute-force throttling, by scope (address | user)",
    labelNames: ["scope", "action"] as const,
    registers,
  });
  const credentialFailures = new Counter({
    name: "wss_gateway_credential_failures_total",
    help: "Failed credentials counted toward throttling (wrong password or digest, unknown or inactive user), by source",
    labelNames: ["source"] as const,
    registers,
  });
  new Gauge({
    name: "wss_gateway_throttle_blocked",
    help: "Client addresses and user names refused with 429 right now, by scope (address | user)",
    labelNames: ["scope"] as const,
    registers,
    // Workers either share the throttle's state (the same count from each) or
    // each hold their own, possibly overlapping, set: max is exact for the
    // first and never counts one client twice in the second.
    aggregator: "max",
    async collect() {
      try {
        const counts = await sources.blockedCounts();
        this.set({ scope: "address" }, counts.addresses);
        this.set({ scope: "user" }, counts.users);
      } catch {
        this.set({ scope: "address" }, Number.NaN); // store unreachable: no number is better than a stale one
        this.set({ scope: "user" }, Number.NaN);
      }
    },
  });
  const throttleStoreUnavailable = new Counter({
    name: "wss_gateway_throttle_store_unavailable_total",
    help: "Throttle checks or failure records that failed because the throttle store (Redis) was unreachable; the request got 503",
    labelNames: ["operation"] as const,
    registers,
  });
  const dependencyErrors = new Counter({
    name: "wss_gateway_dependency_errors_total",
    help: "Calls to a dependency a request needs (store, replay_cache, throttle_store) that failed or timed out; each such request got 503",
    labelNames: ["dependency"] as const,
    registers,
  });
  const admissionRefused = new Counter({
    name: "wss_gateway_admission_refused_total",
    help: "Requests refused with 503 before their body was read, by the limit they would have passed (concurrent_requests | inflight_body_bytes)",
    labelNames: ["limit"] as const,
    registers,
  });
  const replayEpochMarkerDistrusted = new Counter({
    name: "wss_gateway_replay_epoch_marker_distrusted_total",
    help: "Values of the replay cache's epoch marker (Redis) this instance distrusted, by marker (ahead: beyond its now + clock_skew_seconds; behind: changed to before its previous read): it used its own now as the epoch",
    labelNames: ["marker"] as const,
    registers,
  });
  const shadowDecisions = new Counter({
    name: "wss_gateway_shadow_decisions_total",
    help: "Verdicts of the report-only shadow policy (ws_security.shadow_policy), by verdict (admitted | refused) and the fault it would have answered (none when admitted)",
    labelNames: ["verdict", "fault"] as const,
    registers,
  });
  const shadowDecisionsByUser = new Counter({
    name: "wss_gateway_shadow_decisions_by_user_total",
    help: `Shadow policy verdicts by basic user (the first ${SHADOW_USER_LABEL_CAP} user names seen by a process; later ones as "${SHADOW_OTHER_USERS}"), verdict and fault`,
    labelNames: ["user", "verdict", "fault"] as const,
    registers,
  });
  const labelledUsers = new Set<string>();
  const shadowUserLabel = (userName: string): string => {
    if (labelledUsers.has(userName)) return userName;
    if (labelledUsers.size >= SHADOW_USER_LABEL_CAP) return SHADOW_OTHER_USERS;
    labelledUsers.add(userName);
    return userName;
  };
  zeroSeries({ requests, latency, throttled, credentialFailures, throttleStoreUnavailable, dependencyErrors, admissionRefused, replayEpochMarkerDistrusted, shadowDecisions, shadowDecisionsByUser, shadowUserLabel });
  new Gauge({
    name: "wss_gateway_inflight_requests",
    help: "Requests admitted and not yet answered (against limits.max_concurrent_requests)",
    registers,
    aggregator: "sum", // each worker admits its own
    collect() {
      this.set(sources.inFlight?.().requests ?? 0);
    },
  });
  new Gauge({
    name: "wss_gateway_inflight_body_bytes",
    help: "Body bytes of the requests admitted and not yet answered: declared Content-Length, or bytes read so far of a chunked body (against limits.max_inflight_body_bytes)",
    registers,
    aggregator: "sum",
    collect() {
      this.set(sources.inFlight?.().bodyBytes ?? 0);
    },
  });
  new Gauge({
    name: "wss_gateway_replay_cache_entries",
    help: "Entries in the replay cache (nonces and signature values within their TTL)",
    registers,
    aggregator: "first", // several workers need the shared Redis cache: each reports the same entries
    async collect() {
      try {
        this.set(await sources.replayCacheSize());
      } catch {
        this.set(Number.NaN); // cache unreachable: no number is better than a stale one
      }
    },
  });
  new Gauge({
    name: "wss_gateway_certificate_expiry_seconds",
    help: "Seconds until notAfter of each configured certificate (negative once expired), by the profile or user using it",
    labelNames: ["profile", "user", "path", "fingerprint"] as const,
    registers,
    aggregator: "min", // the workers read the clock a moment apart: the soonest expiry
    collect() {
      this.reset(); // a reload may have dropped certificates
      const nowMs = sources.now().getTime();
      for (const entry of certificateInventory(sources.currentConfig())) {
        const seconds = Math.floor((entry.certificate.notAfter.getTime() - nowMs) / 1000);
        const common = { path: entry.relativePath, fingerprint: entry.certificate.fingerprintSha256 };
        for (const use of entry.uses) {
          const who = use.kind === "client-certificate" ? { profile: "", user: use.user } : { profile: use.profile, user: "" };
          this.set({ ...who, ...common }, seconds);
        }
      }
    },
  });
  new Gauge({
    name: "wss_gateway_certificate_not_after_timestamp_seconds",
    help: "notAfter of each certificate the gateway relies on, as Unix seconds (alert on it minus time()), by use (certificate | ca | client | tls), profile or user, path and SHA-256 fingerprint",
    labelNames: ["use", "profile", "user", "path", "fingerprint"] as const,
    registers,
    aggregator: "first", // the same files in every worker
    collect() {
      this.reset(); // a reload may have dropped certificates
      for (const entry of certificateInventory(sources.currentConfig())) {
        const notAfter = Math.floor(entry.certificate.notAfter.getTime() / 1000);
        const common = { path: entry.relativePath, fingerprint: entry.certificate.fingerprintSha256 };
        for (const use of entry.uses) {
          const who =
            use.kind === "client-certificate"
              ? { use: "client", profile: "", user: use.user }
              : { use: use.kind === "profile-ca" ? "ca" : "certificate", profile: use.profile, user: "" };
          this.set({ ...who, ...common }, notAfter);
        }
      }
      const tls = sources.tlsCertificate?.();
      if (tls !== undefined) {
        this.set({ use: "tls", profile: "", user: "", path: tls.path, fingerprint: tls.fingerprintSha256 }, Math.floor(tls.notAfter.getTime() / 1000));
      }
    },
  });
  const certificateVerifications = new Counter({
    name: "wss_gateway_certificate_verifications_total",
    help: "Signatures verified by an x509 profile, by profile and the SHA-256 fingerprint of the pinned certificate that verified (several are pinned during a rotation)",
    labelNames: ["profile", "fingerprint"] as const,
    registers,
  });
  const merged = Registry.merge([processRegistry, registry]);
  const scrapeThisProcess = async (): Promise<MetricsScrape> => ({ kind: "metrics", contentType: merged.contentType, body: spellNaN(await merged.metrics()) });
  const counters = { registry: merged, certificateVerifications, requests, latency, throttled, credentialFailures, throttleStoreUnavailable, dependencyErrors, admissionRefused, replayEpochMarkerDistrusted, shadowDecisions, shadowDecisionsByUser, shadowUserLabel };
  switch (scope) {
    case "process":
      return { ...counters, scrape: scrapeThisProcess, close: () => {} };
    case "cluster-worker": {
      const workerId = cluster.worker?.id;
      if (workerId === undefined) throw new Error("metrics scope cluster-worker: this process is not a node:cluster worker");
      const link = joinClusterMetrics(() => metricsForAggregation(registry, String(workerId)), CLUSTER_SCRAPE_TIMEOUT_MS);
      return {
        ...counters,
        async scrape() {
          const result = await link.scrapeAllWorkers();
          return result.kind === "aggregated" ? { kind: "metrics", contentType: merged.contentType, body: spellNaN(result.body) } : result;
        },
        close: () => link.leave(),
      };
    }
    default: {
      const unknown: never = scope;
      throw new Error(`unknown metrics scope ${String(unknown)}`);
    }
  }
}

/** The series alerts watch, created at zero so that the first increment is an increase. */
function zeroSeries(metrics: Omit<GatewayMetrics, "registry" | "scrape" | "close" | "certificateVerifications">): void {
  metrics.requests.inc({ outcome: "ok", fault: "", status: "200" }, 0);
  for (const [id, fault] of Object.entries(FAULTS) as [FaultId, (typeof FAULTS)[FaultId]][]) {
    metrics.requests.inc({ outcome: "fault", fault: id, status: String(fault.http) }, 0);
  }
  for (const status of HTTP_ERROR_STATUSES) metrics.requests.inc({ outcome: "http-error", fault: "", status: String(status) }, 0);
  metrics.requests.inc({ outcome: "client-closed", fault: "", status: "" }, 0);
  for (const outcome of ["ok", "fault", "http-error", "client-closed"]) metrics.latency.zero({ outcome });
  for (const scope of ["address", "user"] as const) metrics.throttled.inc({ scope, action: "refused" }, 0);
  metrics.throttled.inc({ scope: "user", action: "slowed" }, 0);
  for (const source of ["basic", "ws-security"] as const) metrics.credentialFailures.inc({ source }, 0);
  for (const operation of ["check", "record"] as const) metrics.throttleStoreUnavailable.inc({ operation }, 0);
  for (const dependency of ["store", "replay_cache", "throttle_store"] as const) metrics.dependencyErrors.inc({ dependency }, 0);
  for (const limit of ["concurrent_requests", "inflight_body_bytes"] as const) metrics.admissionRefused.inc({ limit }, 0);
  for (const marker of ["ahead", "behind"] as const) metrics.replayEpochMarkerDistrusted.inc({ marker }, 0);
  metrics.shadowDecisions.inc({ verdict: "admitted", fault: "none" }, 0);
  for (const fault of new Set(Object.values(SHADOW_FAULT_IDS))) metrics.shadowDecisions.inc({ verdict: "refused", fault }, 0);
}

/** prom-client writes an unknown gauge as `Nan`; the exposition format spells it `NaN`. */
function spellNaN(body: string): string {
  return body.replace(/ Nan$/gm, " NaN");
}

export function recordDependencyError(metrics: GatewayMetrics, dependency: DependencyLabel): void {
  metrics.dependencyErrors.inc({ dependency });
}

export function recordReplayEpochMarkerDistrusted(metrics: GatewayMetrics, marker: "ahead" | "behind"): void {
  metrics.replayEpochMarkerDistrusted.inc({ marker });
}

export function recordAdmissionRefused(metrics: GatewayMetrics, limit: AdmissionLimit): void {
  metrics.admissionRefused.inc({ limit });
}

export function recordRequestMetrics(metrics: GatewayMetrics, audit: AuditRecord): void {
  const outcome = audit.outcome ?? "unknown";
  // A client that closed the connection first was sent no status and no fault: both labels are empty.
  const sent = outcome !== "client-closed";
  metrics.requests.inc({ outcome, fault: sent ? (audit.fault ?? "") : "", status: sent ? String(audit.status ?? 0) : "" });
  metrics.latency.observe({ outcome }, (audit.latencyMs ?? 0) / 1000);
  for (const profile of audit.profiles ?? []) {
    if (profile.certificate !== undefined) metrics.certificateVerifications.inc({ profile: profile.profile, fingerprint: profile.certificate });
  }
}

export function recordShadowDecision(metrics: GatewayMetrics, basicUser: string, verdict: ShadowAudit): void {
  metrics.shadowDecisions.inc({ verdict: verdict.verdict, fault: verdict.fault });
  metrics.shadowDecisionsByUser.inc({ user: metrics.shadowUserLabel(basicUser), verdict: verdict.verdict, fault: verdict.fault });
}

export function recordThrottle(metrics: GatewayMetrics, scope: ThrottleScope, action: ThrottleAction): void {
  metrics.throttled.inc({ scope, action });
}

export function recordCredentialFailure(metrics: GatewayMetrics, source: CredentialSource): void {
  metrics.credentialFailures.inc({ source });
}

export function recordThrottleStoreUnavailable(metrics: GatewayMetrics, operation: ThrottleStoreOperation): void {
  metrics.throttleStoreUnavailable.inc({ operation });
}

/**
 * This worker's share of the aggregate: the gateway's metrics as they are
 * (the primary applies each one's aggregator), and the process-wide ones
 * labelled with the worker — a sum of heap sizes, start times or reload
 * counts of different processes means nothing.
 */
async function metricsForAggregation(gatewayRegistry: Registry, workerId: string): Promise<MetricsJson> {
  const perWorker = (await processRegistry.getMetricsAsJSON()).map((metric) => ({
    ...snapshotOf(metric),
    aggregator: "first" as const, // each series is one worker's already
    values: metric.values.map((sample) => sampleOf(sample, { worker: workerId })),
  }));
  const gateway = (await gatewayRegistry.getMetricsAsJSON()).map(snapshotOf);
  return [...perWorker, ...gateway];
}

type RegistryMetric = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>[number];

/** Plain data only: the IPC channel cannot carry functions. */
function snapshotOf(metric: RegistryMetric): MetricSnapshot {
  return { name: metric.name, help: metric.help, type: String(metric.type), aggregator: metric.aggregator, values: metric.values.map((sample) => sampleOf(sample)) };
}

function sampleOf(sample: RegistryMetric["values"][number], extraLabels: Record<string, string> = {}): MetricSample {
  const { metricName } = sample as { metricName?: string };
  const labels = { ...(sample.labels as Record<string, string | number>), ...extraLabels };
  return metricName === undefined ? { value: sample.value, labels } : { value: sample.value, labels, metricName };
}
