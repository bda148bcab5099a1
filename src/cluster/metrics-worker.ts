/**
 * A worker's side of cluster-wide /metrics: it answers the primary's
 * collect requests with its own metrics, and asks the primary for the
 * aggregate of all workers when it receives a scrape itself.
 */
import { isMetricsMessage, type AggregatedMetrics, type MetricsJson, type MetricsMessage } from "./metrics-messages.js";

export interface ClusterMetricsLink {
  /** The metrics of every worker, aggregated by the primary; unavailable after `scrapeTimeoutMs`. */
  scrapeAllWorkers(): Promise<AggregatedMetrics>;
  /** Stops answering the primary; scrapes still waiting become unavailable. */
  leave(): void;
}

export function joinClusterMetrics(collectOwnMetrics: () => Promise<MetricsJson>, scrapeTimeoutMs: number): ClusterMetricsLink {
  const waiting = new Map<number, (result: AggregatedMetrics) => void>();
  let nextScrapeId = 0;

  const onMessage = (message: unknown) => {
    if (!isMetricsMessage(message)) return;
    switch (message.kind) {
      case "wss-gateway:metrics-collect-request": {
        const { collectId } = message;
        collectOwnMetrics().then(
          (metrics) => sendToPrimary({ kind: "wss-gateway:metrics-collect-answer", collectId, metrics }),
          () => sendToPrimary({ kind: "wss-gateway:metrics-collect-failed", collectId }),
        );
        return;
      }
      case "wss-gateway:metrics-scrape-answer":
        waiting.get(message.scrapeId)?.(message.result);
        return;
      case "wss-gateway:metrics-scrape-request":
      case "wss-gateway:metrics-collect-answer":
      case "wss-gateway:metrics-collect-failed":
        return; // the primary's messages
      default: {
        const unexpected: never = message;
        return unexpected;
      }
    }
  };
  process.on("message", onMessage);

  return {
    scrapeAllWorkers() {
      const scrapeId = nextScrapeId++;
      return new Promise<AggregatedMetrics>((resolve) => {
        const settle = (result: AggregatedMetrics) => {
          clearTimeout(timer);
          waiting.delete(scrapeId);
          resolve(result);
        };
        const timer = setTimeout(() => settle(unavailable(`the primary did not answer within ${scrapeTimeoutMs} ms`)), scrapeTimeoutMs);
        waiting.set(scrapeId, settle);
        sendToPrimary({ kind: "wss-gateway:metrics-scrape-request", scrapeId }, () => settle(unavailable("no IPC channel to the primary")));
      });
    },
    leave() {
      process.off("message", onMessage);
      for (const settle of [...waiting.values()]) settle(unavailable("this worker is shutting down"));
    },
  };
}

function sendToPrimary(message: MetricsMessage, onFailure: () => void = () => {}): void {
  if (!process.send || !process.connected) return onFailure();
  process.send(message, undefined, {}, (error) => {
    if (error) onFailure();
  });
}

function unavailable(reason: string): AggregatedMetrics {
  return { kind: "unavailable", reason };
}
