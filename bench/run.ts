/**
 * `npm run bench` — verifications per second, single-threaded, for signed
 * envelopes of about 6 KB, 100 KB and 1 MB (generated here, at run time).
 *
 *   npm run bench -- [--seconds N] [--rounds N] [--sizes 6k,100k,1m] [--paths full,verify,parse,naive,http,wss4j]
 *
 * Paths: `full` = the gateway's verification with parsing (the figure that
 * counts), `verify` = the WS-Security decision on an already parsed envelope,
 * `parse` = the parse alone, `naive` = xml-crypto's checkSignature,
 * `http` = requests/s through a real gateway on 127.0.0.1 (one keep-alive
 * connection), `wss4j` = Apache WSS4J (Debian libwss4j-java) on the same
 * envelopes, when java and the jars are present. Each figure is the best and
 * the median of `rounds` rounds of `seconds` seconds, after a warm-up.
 */
import { parseArgs } from "node:util";
import { rmSync } from "node:fs";
import { BENCH_RUN_AS, loadBenchConfig, makeKeys, makeSignedEnvelope, parseSize, writeConfigDir, type BenchEnvelope } from "./fixtures.js";
import { measure, type MeasureOptions, type Throughput } from "./measure.js";
import { fullVerification, naiveXmlCrypto, parseOnly, verifyOnly } from "./paths.js";
import { measureHttp } from "./http.js";
import { measureWss4j, wss4jMissing } from "./wss4j/wss4j.js";

const PATHS = ["full", "verify", "parse", "naive", "http", "wss4j"] as const;
type PathName = (typeof PATHS)[number];

const PATH_TITLES: Readonly<Record<PathName, string>> = {
  full: "gateway: parse + verify (decideWsSecurity)",
  verify: "gateway: verify only (already parsed)",
  parse: "gateway: parse only (limits scan + @xmldom)",
  naive: "naive xml-crypto checkSignature",
  http: "gateway over HTTP (1 keep-alive connection)",
  wss4j: "Apache WSS4J 1.6 (Java 17, same envelopes)",
};

interface Row {
  readonly path: PathName;
  readonly size: BenchEnvelope;
  readonly result: Throughput | { readonly skipped: string };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "1" },
      rounds: { type: "string", default: "3" },
      sizes: { type: "string", default: "6k,100k,1m" },
      paths: { type: "string", default: "full,verify,parse,naive" },
    },
    strict: true,
  });
  const options: MeasureOptions = {
    seconds: positive(values.seconds, "--seconds"),
    rounds: Math.round(positive(values.rounds, "--rounds")),
    warmupSeconds: Math.min(1, positive(values.seconds, "--seconds")),
  };
  const sizes = values.sizes.split(",").map((label) => ({ label: label.trim(), bytes: parseSize(label) }));
  const paths = values.paths.split(",").map((name) => name.trim());
  for (const path of paths) if (!(PATHS as readonly string[]).includes(path)) throw new Error(`unknown path ${path}; known: ${PATHS.join(", ")}`);

  const keys = makeKeys();
  const configDir = writeConfigDir(keys);
  try {
    const config = loadBenchConfig(configDir);
    const envelopes = sizes.map((size) => makeSignedEnvelope(keys, size.label, size.bytes));
    console.log(`node ${process.version}, ${process.platform}/${process.arch}; ${options.rounds} round(s) of ${options.seconds} s per figure; single-threaded`);
    for (const envelope of envelopes) console.log(`  ${envelope.label}: ${envelope.bytes.length} bytes, ${envelope.elements} elements`);
    const rows: Row[] = [];
    for (const path of paths as PathName[]) {
      if (path === "wss4j") {
        rows.push(...measureWss4jRows(envelopes, keys, options));
        console.error("  measured wss4j");
        continue;
      }
      for (const envelope of envelopes) {
        const result = await measurePath(path, envelope, { config, configDir, keys, options });
        rows.push({ path, size: envelope, result });
        console.error(`  measured ${path} ${envelope.label}`);
      }
    }
    printTable(rows, envelopes);
    console.log(`(full: every iteration must be admitted as ${BENCH_RUN_AS}; a fresh replay cache per iteration)`);
  } finally {
    rmSync(configDir, { recursive: true, force: true });
    rmSync(keys.dir, { recursive: true, force: true });
  }
}

interface Context {
  readonly config: ReturnType<typeof loadBenchConfig>;
  readonly configDir: string;
  readonly keys: ReturnType<typeof makeKeys>;
  readonly options: MeasureOptions;
}

async function measurePath(path: Exclude<PathName, "wss4j">, envelope: BenchEnvelope, context: Context): Promise<Row["result"]> {
  switch (path) {
    case "full":
      return measure(fullVerification(context.config, envelope), context.options);
    case "verify":
      return measure(verifyOnly(context.config, envelope), context.options);
    case "parse":
      return measure(parseOnly(context.config, envelope), context.options);
    case "naive":
      return measure(naiveXmlCrypto(context.keys.certPem, envelope), context.options);
    case "http":
      return measureHttp(context.configDir, context.keys, envelope, context.options);
    default: {
      const never: never = path;
      throw new Error(`unknown path ${String(never)}`);
    }
  }
}

/** One JVM for every size (its warm-up is long); skipped, with the reason, when WSS4J is not installed. */
function measureWss4jRows(envelopes: readonly BenchEnvelope[], keys: ReturnType<typeof makeKeys>, options: MeasureOptions): Row[] {
  const missing = wss4jMissing();
  if (missing) return envelopes.map((size) => ({ path: "wss4j", size, result: { skipped: missing } }));
  const results = measureWss4j(keys, envelopes, options);
  return envelopes.map((size) => ({ path: "wss4j", size, result: results.get(size) ?? { skipped: "no result" } }));
}

function printTable(rows: readonly Row[], envelopes: readonly BenchEnvelope[]): void {
  const header = ["per second (best / median)", ...envelopes.map((envelope) => `${envelope.label} (${kilobytes(envelope.bytes.length)})`)];
  const lines: string[][] = [header];
  for (const path of PATHS) {
    const cells = envelopes.map((envelope) => rows.find((row) => row.path === path && row.size === envelope));
    if (cells.every((cell) => cell === undefined)) continue;
    lines.push([PATH_TITLES[path], ...cells.map((cell) => (cell ? formatResult(cell.result) : "-"))]);
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  console.log("");
  for (const [index, line] of lines.entries()) {
    console.log(`| ${line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(" | ")} |`);
    if (index === 0) console.log(`|${widths.map((width, column) => (column === 0 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`);
  }
}

function formatResult(result: Row["result"]): string {
  if ("skipped" in result) return `skipped (${result.skipped})`;
  return `${format(result.bestPerSecond)} / ${format(result.medianPerSecond)}`;
}

function format(perSecond: number): string {
  if (perSecond >= 100) return Math.round(perSecond).toLocaleString("en-US");
  if (perSecond >= 10) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

function kilobytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
