/**
 * The IPC messages behind /metrics with `serve --workers N`: the worker that
 * receives a scrape asks the primary, the primary collects every worker's
 * metrics, aggregates them and answers the asking worker.
 *
 *   worker ──scrape-request──▶ primary ──collect-request──▶ every worker
 *   worker ◀──scrape-answer─── primary ◀──collect-answer─── every worker
 */
import type { Aggregator } from "prom-client";

/**
 * One metric of a worker, as prom-client's AggregatorRegistry.aggregate()
 * takes it: plain data (a registry's getMetricsAsJSON() without functions).
 */
export interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: Aggregator;
  readonly values: readonly MetricSample[];
}

export interface MetricSample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  /** A histogram's `_bucket`, `_sum` or `_count` series. */
  readonly metricName?: string;
}

export type MetricsJson = readonly MetricSnapshot[];

/** The primary's answer to a scrape: the aggregated text, or why there is none. */
export type AggregatedMetrics = { readonly kind: "aggregated"; readonly body: string } | { readonly kind: "unavailable"; readonly reason: string };

export type MetricsMessage =
  | { readonly kind: "wss-gateway:metrics-scrape-request"; readonly scrapeId: number }
  | { readonly kind: "wss-gateway:metrics-scrape-answer"; readonly scrapeId: number; readonly result: AggregatedMetrics }
  | { readonly kind: "wss-gateway:metrics-collect-request"; readonly collectId: number }
  | { readonly kind: "wss-gateway:metrics-collect-answer"; readonly collectId: number; readonly metrics: MetricsJson }
  | { readonly kind: "wss-gateway:metrics-collect-failed"; readonly collectId: number };

const KINDS: ReadonlySet<string> = new Set<MetricsMessage["kind"]>([
  "wss-gateway:metrics-scrape-request",
  "wss-gateway:metrics-scrape-answer",
  "wss-gateway:metrics-collect-request",
  "wss-gateway:metrics-collect-answer",
  "wss-gateway:metrics-collect-failed",
]);

/** True for our messages; the IPC channel also carries other processes' and libraries' messages. */
export function isMetricsMessage(message: unknown): message is MetricsMessage {
  return typeof message === "object" && message !== null && KINDS.has(String((message as { kind?: unknown }).kind));
}
