/**
 * Request and refusal rates for the admin console's charts, read from this
 * gateway's own request counter (wss_gateway_requests_total): each reading
 * adds the increase since the previous one to its time bucket. The sampler
 * reads on a timer (unref'd) and whenever the console asks, keeps the last
 * `buckets` buckets, and never holds more than that.
 */
import type { Counter } from "prom-client";
import { html, type SafeHtml } from "./html.js";

export interface RateBucket {
  /** Start of the bucket, epoch ms. */
  readonly startMs: number;
  readonly requests: number;
  readonly refused: number;
}

export interface RequestCounts {
  readonly requests: number;
  readonly refused: number;
}

export const RATE_BUCKET_MS = 10_000;
export const RATE_BUCKETS = 60;

export class RateSampler {
  readonly #buckets = new Map<number, { requests: number; refused: number }>();
  #last: RequestCounts | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly readCounts: () => Promise<RequestCounts>,
    private readonly now: () => number,
  ) {}

  /** Reads every RATE_BUCKET_MS until stop(); the timer never keeps the process alive. */
  start(): void {
    this.#timer ??= setInterval(() => void this.sample().catch(() => {}), RATE_BUCKET_MS).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async sample(): Promise<void> {
    const counts = await this.readCounts();
    const previous = this.#last ?? { requests: 0, refused: 0 };
    this.#last = counts;
    const startMs = Math.floor(this.now() / RATE_BUCKET_MS) * RATE_BUCKET_MS;
    const bucket = this.#buckets.get(startMs) ?? { requests: 0, refused: 0 };
    bucket.requests += Math.max(0, counts.requests - previous.requests);
    bucket.refused += Math.max(0, counts.refused - previous.refused);
    this.#buckets.set(startMs, bucket);
    for (const key of this.#buckets.keys()) if (key <= startMs - RATE_BUCKETS * RATE_BUCKET_MS) this.#buckets.delete(key);
  }

  buckets(): RateBucket[] {
    return [...this.#buckets].map(([startMs, counts]) => ({ startMs, ...counts })).sort((a, b) => a.startMs - b.startMs);
  }
}

/** Requests and refusals (any outcome but ok; a client that closed the connection was not refused) so far, from the request counter. */
export async function requestCounts(requests: Counter<"outcome" | "fault" | "status">): Promise<RequestCounts> {
  let total = 0;
  let refused = 0;
  for (const sample of (await requests.get()).values) {
    total += sample.value;
    if (sample.labels.outcome !== "ok" && sample.labels.outcome !== "client-closed") refused += sample.value;
  }
  return { requests: total, refused };
}

/** Buckets of several workers, summed per time bucket. */
export function mergeBuckets(lists: readonly (readonly RateBucket[])[]): RateBucket[] {
  const merged = new Map<number, { requests: number; refused: number }>();
  for (const bucket of lists.flat()) {
    const sum = merged.get(bucket.startMs) ?? { requests: 0, refused: 0 };
    sum.requests += bucket.requests;
    sum.refused += bucket.refused;
    merged.set(bucket.startMs, sum);
  }
  return [...merged].map(([startMs, counts]) => ({ startMs, ...counts })).sort((a, b) => a.startMs - b.startMs);
}

const CHART_WIDTH = 600;
const CHART_HEIGHT = 120;

/** A bar chart (inline SVG, no script, no style attribute) of requests and refusals per bucket, the last RATE_BUCKETS buckets up to nowMs. */
export function rateChart(buckets: readonly RateBucket[], nowMs: number): SafeHtml {
  const lastStart = Math.floor(nowMs / RATE_BUCKET_MS) * RATE_BUCKET_MS;
  const firstStart = lastStart - (RATE_BUCKETS - 1) * RATE_BUCKET_MS;
  const byStart = new Map(buckets.map((bucket) => [bucket.startMs, bucket]));
  const max = Math.max(1, ...buckets.filter((bucket) => bucket.startMs >= firstStart).map((bucket) => bucket.requests));
  const slot = CHART_WIDTH / RATE_BUCKETS;
  const bars = [];
  let requests = 0;
  let refused = 0;
  for (let index = 0; index < RATE_BUCKETS; index++) {
    const bucket = byStart.get(firstStart + index * RATE_BUCKET_MS);
    if (!bucket) continue;
    requests += bucket.requests;
    refused += bucket.refused;
    const x = (index * slot).toFixed(1);
    const width = Math.max(1, slot - 1).toFixed(1);
    const allHeight = (bucket.requests / max) * CHART_HEIGHT;
    const refusedHeight = (bucket.refused / max) * CHART_HEIGHT;
    bars.push(html`<rect class="bar-requests" x="${x}" y="${(CHART_HEIGHT - allHeight).toFixed(1)}" width="${width}" height="${allHeight.toFixed(1)}"><title>${bucket.requests} requests</title></rect>`);
    if (bucket.refused > 0) {
      bars.push(html`<rect class="bar-refused" x="${x}" y="${(CHART_HEIGHT - refusedHeight).toFixed(1)}" width="${width}" height="${refusedHeight.toFixed(1)}"><title>${bucket.refused} refused</title></rect>`);
    }
  }
  const minutes = (RATE_BUCKETS * RATE_BUCKET_MS) / 60_000;
  const summary = `${requests} requests, ${refused} refused in the last ${minutes} minutes (bars of ${RATE_BUCKET_MS / 1000} s; peak ${max})`;
  return html`<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${summary}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}"><rect class="chart-frame" x="0" y="0" width="${CHART_WIDTH}" height="${CHART_HEIGHT}"></rect>${bars}</svg><figcaption>${summary}</figcaption></figure>`;
}
