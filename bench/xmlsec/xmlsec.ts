/**
 * The libxmlsec1 figure: bench/xmlsec/xmlsec_verify_bench.py run by Debian's
 * python3 (python3-xmlsec, python3-lxml) on the same envelopes: lxml parse +
 * xmlsec signature verification per iteration. Skipped when missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchEnvelope, BenchKeys } from "../fixtures.js";
import type { MeasureOptions, Throughput } from "../measure.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "xmlsec_verify_bench.py");

export function xmlsecMissing(): string | undefined {
  return spawnSync(PYTHON, ["-c", "import xmlsec, lxml"]).status === 0 ? undefined : "python3-xmlsec / python3-lxml not installed (Debian)";
}

export function measureXmlsec(keys: BenchKeys, envelopes: readonly BenchEnvelope[], options: MeasureOptions): Map<BenchEnvelope, Throughput> {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-xmlsec-"));
  try {
    const certPath = join(dir, "signer.pem");
    writeFileSync(certPath, keys.certPem);
    const files = envelopes.map((envelope, index) => {
      const path = join(dir, `envelope-${index}.xml`);
      writeFileSync(path, envelope.bytes);
      return path;
    });
    const output = execFileSync(PYTHON, [SCRIPT, certPath, String(options.seconds), String(options.rounds), String(options.warmupSeconds), ...files], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const results = new Map<BenchEnvelope, Throughput>();
    for (const line of output.trim().split("\n")) {
      const [file, best, median, iterations] = line.trim().split(" ");
      const envelope = envelopes[files.indexOf(file!)];
      if (!envelope) throw new Error(`unexpected xmlsec bench output: ${line}`);
      results.set(envelope, { bestPerSecond: Number(best), medianPerSecond: Number(median), iterations: Number(iterations) });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
