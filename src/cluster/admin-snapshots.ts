/**
 * The admin console with `serve --workers N`: the worker that serves an
 * admin page asks the primary, which asks every listening worker for its
 * snapshot (refusal ring, rates, shadow counts, last reload) and answers
 * with all that arrived within the timeout. Unlike /metrics, a page may show
 * a partial picture, and says how many workers it covers.
 *
 *   worker ──admin-request──▶ primary ──admin-collect-request──▶ every worker
 *   worker ◀──admin-answer─── primary ◀──admin-collect-answer─── every worker
 */
import cluster, { type Worker } from "node:cluster";
import type { AdminSnapshot } from "../admin/snapshot.js";

export interface ClusterSnapshots {
  readonly snapshots: readonly AdminSnapshot[];
  /** Workers asked; snapshots.length of them answered. */
  readonly workersAsked: number;
}

type AdminMessage =
  | { readonly kind: "wss-gateway:admin-request"; readonly requestId: number }
  | { readonly kind: "wss-gateway:admin-answer"; readonly requestId: number; readonly result: ClusterSnapshots }
  | { readonly kind: "wss-gateway:admin-collect-request"; readonly collectId: number }
  | { readonly kind: "wss-gateway:admin-collect-answer"; readonly collectId: number; readonly snapshot: AdminSnapshot };

const KINDS: ReadonlySet<string> = new Set<AdminMessage["kind"]>([
  "wss-gateway:admin-request",
  "wss-gateway:admin-answer",
  "wss-gateway:admin-collect-request",
  "wss-gateway:admin-collect-answer",
]);

function isAdminMessage(message: unknown): message is AdminMessage {
  return typeof message === "object" && message !== null && KINDS.has(String((message as { kind?: unknown }).kind));
}

/** The primary's side: answers workers' admin requests; returns the function that stops it. */
export function collectAdminSnapshots(options: { readonly workers: () => readonly Worker[]; readonly collectTimeoutMs: number }): () => void {
  const pending = new Map<number, { readonly waiting: Set<number>; readonly snapshots: AdminSnapshot[]; readonly settle: () => void }>();
  let nextCollectId = 0;

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isAdminMessage(message)) return;
    if (message.kind === "wss-gateway:admin-request") {
      const workers = options.workers();
      const collectId = nextCollectId++;
      const snapshots: AdminSnapshot[] = [];
      const settle = () => {
        clearTimeout(timer);
        pending.delete(collectId);
        send(worker, { kind: "wss-gateway:admin-answer", requestId: message.requestId, result: { snapshots, workersAsked: workers.length } });
      };
      const timer = setTimeout(settle, options.collectTimeoutMs);
      pending.set(collectId, { waiting: new Set(workers.map((w) => w.id)), snapshots, settle });
      if (workers.length === 0) return settle();
      for (const target of workers) send(target, { kind: "wss-gateway:admin-collect-request", collectId });
    } else if (message.kind === "wss-gateway:admin-collect-answer") {
      const collection = pending.get(message.collectId);
      if (!collection?.waiting.delete(worker.id)) return;
      collection.snapshots.push(message.snapshot);
      if (collection.waiting.size === 0) collection.settle();
    }
  };
  cluster.on("message", onMessage);
  return () => {
    cluster.off("message", onMessage);
    for (const collection of [...pending.values()]) collection.settle();
  };
}

export interface ClusterAdminLink {
  /** Every listening worker's snapshot (this one's included), as far as they answered within `timeoutMs`. */
  snapshotAllWorkers(): Promise<ClusterSnapshots>;
  leave(): void;
}

/** A worker's side: answers the primary's collect requests, and asks for all workers' snapshots. */
export function joinClusterAdmin(ownSnapshot: () => Promise<AdminSnapshot>, timeoutMs: number): ClusterAdminLink {
  const waiting = new Map<number, (result: ClusterSnapshots) => void>();
  let nextRequestId = 0;
  const onMessage = (message: unknown) => {
    if (!isAdminMessage(message)) return;
    if (message.kind === "wss-gateway:admin-collect-request") {
      const { collectId } = message;
      void ownSnapshot().then((snapshot) => sendToPrimary({ kind: "wss-gateway:admin-collect-answer", collectId, snapshot }), () => {});
    } else if (message.kind === "wss-gateway:admin-answer") {
      waiting.get(message.requestId)?.(message.result);
    }
  };
  process.on("message", onMessage);
  const alone = async (): Promise<ClusterSnapshots> => ({ snapshots: [await ownSnapshot()], workersAsked: 1 });
  return {
    snapshotAllWorkers() {
      if (!process.send || !process.connected) return alone();
      const requestId = nextRequestId++;
      return new Promise<ClusterSnapshots>((resolve) => {
        const settle = (result: ClusterSnapshots) => {
          clearTimeout(timer);
          waiting.delete(requestId);
          resolve(result);
        };
        const timer = setTimeout(() => void alone().then(settle), timeoutMs);
        waiting.set(requestId, settle);
        sendToPrimary({ kind: "wss-gateway:admin-request", requestId });
      });
    },
    leave() {
      process.off("message", onMessage);
    },
  };
}

function send(worker: Worker, message: AdminMessage): void {
  if (worker.isConnected()) worker.send(message, undefined, () => {});
}

function sendToPrimary(message: AdminMessage): void {
  if (process.send && process.connected) process.send(message, undefined, {}, () => {});
}
