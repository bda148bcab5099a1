/**
 * The primary's side of cluster-wide /metrics: when a worker receives a
 * scrape, the primary asks every listening worker for its metrics,
 * aggregates them with prom-client's AggregatorRegistry (each metric by its
 * `aggregator`: sum for counters and histograms, see observability/metrics.ts
 * for the gauges) and answers the asking worker. A partial sum would look
 * like a counter reset to Prometheus, so unless every asked worker answers
 * within `collectTimeoutMs` the answer is "unavailable" (the worker serves 503).
 */
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import { isMetricsMessage, type AggregatedMetrics, type MetricsJson, type MetricsMessage } from "./metrics-messages.js";

export interface MetricsAggregationOptions {
  /** The workers whose metrics make up the whole: those listening, with a connected IPC channel. */
  readonly workers: () => readonly Worker[];
  readonly collectTimeoutMs: number;
}

interface Collection {
  readonly pendingWorkerIds: Set<number>;
  readonly answers: MetricsJson[];
  readonly settle: (failure?: string) => void;
}

/** Starts answering workers' scrape requests; returns the function that stops it. */
export function aggregateWorkerMetrics(options: MetricsAggregationOptions): () => void {
  const collections = new Map<number, Collection>();
  let nextCollectId = 0;
  /** Scrapes that arrive while a collection runs share it: a burst of scrapes does not multiply the work of every worker. */
  let collecting: Promise<AggregatedMetrics> | undefined;

  const collectFromAllWorkers = (): Promise<AggregatedMetrics> => {
    const workers = options.workers();
    if (workers.length === 0) return Promise.resolve(unavailable("no worker is listening"));
    const collectId = nextCollectId++;
    return new Promise<AggregatedMetrics>((resolve) => {
      const collection: Collection = {
        pendingWorkerIds: new Set(workers.map((worker) => worker.id)),
        answers: [],
        settle: (failure) => {
          clearTimeout(timer);
          collections.delete(collectId);
          if (failure !== undefined) return resolve(unavailable(failure));
          aggregate(collection.answers).then(
            (body) => resolve({ kind: "aggregated", body }),
            () => resolve(unavailable("the workers' metrics could not be aggregated")),
          );
        },
      };
      const timer = setTimeout(() => {
        const answered = workers.length - collection.pendingWorkerIds.size;
        collection.settle(`${answered} of ${workers.length} workers answered within ${options.collectTimeoutMs} ms`);
      }, options.collectTimeoutMs);
      collections.set(collectId, collection);
      for (const worker of workers) send(worker, { kind: "wss-gateway:metrics-collect-request", collectId });
    });
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMetricsMessage(message)) return;
    switch (message.kind) {
      case "wss-gateway:metrics-scrape-request": {
        const { scrapeId } = message;
        collecting ??= collectFromAllWorkers().finally(() => (collecting = undefined));
        void collecting.then((result) => send(worker, { kind: "wss-gateway:metrics-scrape-answer", scrapeId, result }));
        return;
      }
      case "wss-gateway:metrics-collect-answer":
      case "wss-gateway:metrics-collect-failed": {
        const collection = collections.get(message.collectId);
        if (!collection?.pendingWorkerIds.delete(worker.id)) return; // late, or from a worker that was not asked
        if (message.kind === "wss-gateway:metrics-collect-failed") return collection.settle(`worker ${worker.id} could not collect its metrics`);
        collection.answers.push(message.metrics);
        if (collection.pendingWorkerIds.size === 0) collection.settle();
        return;
      }
      case "wss-gateway:metrics-scrape-answer":
      case "wss-gateway:metrics-collect-request":
        return; // the primary's own messages
      default: {
        const unexpected: never = message;
        return unexpected;
      }
    }
  };
  cluster.on("message", onMessage);

  return () => {
    cluster.off("message", onMessage);
    for (const collection of [...collections.values()]) collection.settle("the primary is stopping");
  };
}

/** Async, so that a throw (an unknown aggregator) becomes a rejection. */
async function aggregate(answers: readonly MetricsJson[]): Promise<string> {
  return AggregatorRegistry.aggregate([...answers]).metrics();
}

function send(worker: Worker, message: MetricsMessage): void {
  if (!worker.isConnected()) return; // its collection times out, or its scrape was its last
  worker.send(message, undefined, () => {}); // a channel closed meanwhile: same
}

function unavailable(reason: string): AggregatedMetrics {
  return { kind: "unavailable", reason };
}
