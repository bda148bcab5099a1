/**
 * What one gateway process contributes to the admin console — its refusal
 * ring, rate buckets, shadow verdict counts and last reload — as plain data
 * (it crosses the cluster IPC channel), and how the snapshots of several
 * workers add up.
 */
import type { GatewayMetrics } from "../observability/metrics.js";
import { mergeBuckets, RateSampler, requestCounts, type RateBucket } from "./rates.js";
import { RefusalLog, type RefusalEntry } from "./refusal-log.js";

export interface ShadowCount {
  readonly user: string;
  readonly verdict: string;
  readonly fault: string;
  readonly count: number;
}

export type ReloadRecord =
  | { readonly kind: "loaded"; readonly at: string }
  | { readonly kind: "reloaded"; readonly at: string; readonly trigger: string }
  | { readonly kind: "refused"; readonly at: string; readonly trigger: string; readonly problems: readonly string[] };

export interface AdminSnapshot {
  readonly refusals: readonly RefusalEntry[];
  readonly rates: readonly RateBucket[];
  readonly shadow: readonly ShadowCount[];
  readonly lastReload: ReloadRecord | undefined;
}

/** The admin console's per-process recorders, kept on GatewayServices. */
export class AdminRecorder {
  readonly refusals: RefusalLog;
  readonly rates: RateSampler;
  #lastReload: ReloadRecord | undefined;

  constructor(
    private readonly metrics: GatewayMetrics,
    now: () => number,
    refusalCapacity?: number,
  ) {
    this.refusals = new RefusalLog(refusalCapacity);
    this.rates = new RateSampler(() => requestCounts(metrics.requests), now);
    this.#lastReload = { kind: "loaded", at: new Date(now()).toISOString() };
  }

  recordReload(record: ReloadRecord): void {
    this.#lastReload = record;
  }

  async snapshot(): Promise<AdminSnapshot> {
    await this.rates.sample();
    const shadow = (await this.metrics.shadowDecisionsByUser.get()).values
      .filter((sample) => sample.value > 0)
      .map((sample) => ({ user: String(sample.labels.user), verdict: String(sample.labels.verdict), fault: String(sample.labels.fault), count: sample.value }));
    return { refusals: this.refusals.entries(), rates: this.rates.buckets(), shadow, lastReload: this.#lastReload };
  }
}

/** A reload's result as the console shows it. */
export function reloadRecord(trigger: string, result: { readonly kind: "reloaded" } | { readonly kind: "refused"; readonly problems: readonly string[] }, at: Date): ReloadRecord {
  return result.kind === "reloaded" ? { kind: "reloaded", at: at.toISOString(), trigger } : { kind: "refused", at: at.toISOString(), trigger, problems: result.problems };
}

/** Several workers' snapshots as one: refusals newest first (at most `maxRefusals`), rates and shadow counts summed, the latest reload. */
export function mergeSnapshots(snapshots: readonly AdminSnapshot[], maxRefusals: number): AdminSnapshot {
  const refusals = snapshots
    .flatMap((snapshot) => snapshot.refusals)
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, maxRefusals);
  const shadow = new Map<string, ShadowCount>();
  for (const count of snapshots.flatMap((snapshot) => snapshot.shadow)) {
    const key = JSON.stringify([count.user, count.verdict, count.fault]);
    shadow.set(key, { ...count, count: (shadow.get(key)?.count ?? 0) + count.count });
  }
  const reloads = snapshots.map((snapshot) => snapshot.lastReload).filter((record): record is ReloadRecord => record !== undefined);
  return {
    refusals,
    rates: mergeBuckets(snapshots.map((snapshot) => snapshot.rates)),
    shadow: [...shadow.values()],
    lastReload: reloads.sort((a, b) => b.at.localeCompare(a.at))[0],
  };
}
