/** Prometheus metrics (SPEC §7), on one registry served at /metrics. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AuditRecord } from "./audit.js";

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const requests = new Counter({
  name: "wss_gateway_requests_total",
  help: "Requests by outcome and fault",
  labelNames: ["outcome", "fault", "status"] as const,
  registers: [registry],
});

const latency = new Histogram({
  name: "wss_gateway_request_duration_seconds",
  help: "Request latency",
  labelNames: ["outcome"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export function recordRequestMetrics(audit: AuditRecord): void {
  const outcome = audit.outcome ?? "unknown";
  requests.inc({ outcome, fault: audit.fault ?? "", status: String(audit.status ?? 0) });
  latency.observe({ outcome }, (audit.latencyMs ?? 0) / 1000);
}

const configReloads = new Counter({
  name: "wss_gateway_config_reloads_total",
  help: "Configuration reloads by result (success | failure)",
  labelNames: ["result"] as const,
  registers: [registry],
});

export function recordConfigReload(result: "success" | "failure"): void {
  configReloads.inc({ result });
}
