import type { BenchEnvelope, BenchKeys } from "../fixtures.js";
import type { MeasureOptions, Throughput } from "../measure.js";
export async function measureWss4j(_keys: BenchKeys, _envelope: BenchEnvelope, _options: MeasureOptions): Promise<Throughput | { skipped: string }> {
  return { skipped: "not yet" };
}
