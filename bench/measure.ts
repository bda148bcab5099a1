/**
 * A bounded, single-threaded throughput measurement: a warm-up, then
 * `rounds` rounds of `seconds` each; every round counts completed
 * iterations per second. The best and the median round are reported,
 * because other processes share this machine's cores and only ever make a
 * round slower.
 */
import { performance } from "node:perf_hooks";

export interface Throughput {
  readonly bestPerSecond: number;
  readonly medianPerSecond: number;
  readonly iterations: number;
  /** Iterations per second of the measured process's CPU time (user + system, every thread), where known. */
  readonly perCpuSecond?: number;
}

export interface MeasureOptions {
  readonly seconds: number;
  readonly rounds: number;
  readonly warmupSeconds: number;
}

export async function measure(iteration: () => unknown | Promise<unknown>, options: MeasureOptions): Promise<Throughput> {
  await runFor(iteration, options.warmupSeconds, 3);
  const rates: number[] = [];
  let iterations = 0;
  for (let round = 0; round < options.rounds; round++) {
    const { count, elapsedMs } = await runFor(iteration, options.seconds, 1);
    rates.push((count * 1000) / elapsedMs);
    iterations += count;
  }
  return summarize(rates, iterations);
}

/** Best and median of per-round rates (iterations per second). */
export function summarize(rates: readonly number[], iterations: number): Throughput {
  const sorted = [...rates].sort((a, b) => a - b);
  return { bestPerSecond: sorted[sorted.length - 1]!, medianPerSecond: sorted[Math.floor(sorted.length / 2)]!, iterations };
}

/** Runs `iteration` until `seconds` have passed and at least `minimum` iterations completed. */
export async function runFor(iteration: () => unknown | Promise<unknown>, seconds: number, minimum: number): Promise<{ count: number; elapsedMs: number }> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  let now = start;
  while (count < minimum || now < deadline) {
    await iteration();
    count++;
    now = performance.now();
  }
  return { count, elapsedMs: now - start };
}
