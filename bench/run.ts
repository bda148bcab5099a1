/**
 * `npm run bench` — verifications per second, single-threaded, for signed
 * envelopes of about 6 KB, 100 KB and 1 MB (generated here, at run time).
 *
 *   npm run bench -- [--seconds N] [--rounds N] [--sizes 6k,100k,1m] [--paths full,verify,parse,xmldom,naive,http,wss4j,xmlsec]
 *                    [--pin CPU] [--wss4j-warmup SECONDS] [--connections N] [--interleave]
 *
 * Paths: `full` = the gateway's parse + whole WS-Security decision (the
 * figure that counts), `verify` = the decision on an already parsed
 * envelope, `parse` = the parse alone (the gateway's one-pass parser),
 * `xmldom` = the @xmldom parse the gateway used before, `naive` =
 * xml-crypto's checkSignature, `http` = requests/s through a real gateway on
 * 127.0.0.1 (`--connections` keep-alive connections), `wss4j` = Apache WSS4J
 * (Debian libwss4j-java) and `xmlsec` = libxmlsec1 (python3-xmlsec + lxml) on
 * the same envelopes, when installed. Each figure is the best and the median
 * of `rounds` rounds of `seconds` seconds, after a warm-up; ratios to WSS4J
 * are of medians. `--pin CPU` re-runs the bench under `taskset -c CPU` (the
 * JVM and python children inherit the pinning, so every peer gets that one
 * core). With `--interleave` (and `full` and `wss4j` among the paths) the
 * two alternate round by round on each envelope (one JVM kept running,
 * settled on each envelope first), so that both see the same minutes of a
 * machine whose speed drifts: the ratio is then of rounds taken side by
 * side, not of figures taken a minute apart. The peak RSS of the bench
 * process is printed at the end.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { rmSync } from "node:fs";
import { BENCH_RUN_AS, loadBenchConfig, makeKeys, makeSignedEnvelope, parseSize, writeConfigDir, type BenchEnvelope } from "./fixtures.js";
import { measure, runFor, summarize, type MeasureOptions, type Throughput } from "./measure.js";
import { fullVerification, naiveXmlCrypto, parseOnly, verifyOnly, xmldomParse } from "./paths.js";
import { measureHttp } from "./http.js";
import { measureWss4j, startWss4jSession, wss4jMissing } from "./wss4j/wss4j.js";
import { measureXmlsec, xmlsecMissing } from "./xmlsec/xmlsec.js";
import { keepStringPrototypeFast } from "../src/runtime/string-prototype.js";

const PATHS = ["full", "verify", "parse", "xmldom", "naive", "http", "wss4j", "xmlsec"] as const;
type PathName = (typeof PATHS)[number];

const PATH_TITLES: Readonly<Record<PathName, string>> = {
  full: "gateway: parse + whole WS-Security decision",
  verify: "gateway: decision only (already parsed)",
  parse: "gateway: parse only (one-pass tree parser)",
  xmldom: "before: @xmldom parse (pre-scan + @xmldom 0.9)",
  naive: "naive xml-crypto checkSignature",
  http: "gateway over HTTP",
  wss4j: "Apache WSS4J 1.6 (Java 17, same envelopes)",
  xmlsec: "libxmlsec1 (python3-xmlsec + lxml: parse + verify)",
};

/** Paths measured against WSS4J in the ratio rows. */
const RATIO_PATHS: readonly PathName[] = ["full", "http", "xmlsec"];

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
      pin: { type: "string" },
      "wss4j-warmup": { type: "string", default: "15" },
      connections: { type: "string", default: "1" },
      interleave: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.pin !== undefined && process.env.WSS_BENCH_PINNED === undefined) {
    const cpu = values.pin;
    if (!/^[0-9]+(?:[-,][0-9]+)*$/.test(cpu)) throw new Error("--pin takes a CPU list for taskset -c, e.g. 1");
    const run = spawnSync("taskset", ["-c", cpu, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, WSS_BENCH_PINNED: cpu } });
    if (run.error) throw new Error(`taskset failed: ${run.error.message}`);
    process.exitCode = run.status ?? 1;
    return;
  }
  // This process loads the gateway's modules (ioredis among them) as `serve` does; the gateway then does this at start.
  keepStringPrototypeFast();
  const options: MeasureOptions = {
    seconds: positive(values.seconds, "--seconds"),
    rounds: Math.round(positive(values.rounds, "--rounds")),
    warmupSeconds: Math.min(1, positive(values.seconds, "--seconds")),
  };
  const wss4jWarmupSeconds = positive(values["wss4j-warmup"], "--wss4j-warmup");
  const connections = Math.round(positive(values.connections, "--connections"));
  const sizes = values.sizes.split(",").map((label) => ({ label: label.trim(), bytes: parseSize(label) }));
  const paths = values.paths.split(",").map((name) => name.trim());
  for (const path of paths) if (!(PATHS as readonly string[]).includes(path)) throw new Error(`unknown path ${path}; known: ${PATHS.join(", ")}`);

  const keys = makeKeys();
  const configDir = writeConfigDir(keys);
  try {
    const config = loadBenchConfig(configDir);
    const envelopes = sizes.map((size) => makeSignedEnvelope(keys, size.label, size.bytes));
    const cpus = availableParallelism();
    const pinned = process.env.WSS_BENCH_PINNED === undefined ? `${cpus} CPU(s) available` : `pinned to CPU ${process.env.WSS_BENCH_PINNED}`;
    console.log(`node ${process.version}, ${process.platform}/${process.arch}; ${options.rounds} round(s) of ${options.seconds} s per figure; single-threaded; ${pinned}`);
    for (const envelope of envelopes) console.log(`  ${envelope.label}: ${envelope.bytes.length} bytes, ${envelope.elements} elements`);
    const rows: Row[] = [];
    const interleaved = values.interleave && paths.includes("full") && paths.includes("wss4j") && !wss4jMissing();
    if (interleaved) {
      rows.push(...(await measureFullWithWss4j(envelopes, { config, configDir, keys, options, connections }, wss4jWarmupSeconds)));
      console.error("  measured full and wss4j, interleaved");
    }
    for (const path of paths as PathName[]) {
      if (interleaved && (path === "full" || path === "wss4j")) continue;
      if (path === "wss4j") {
        rows.push(...measureWss4jRows(envelopes, keys, { ...options, warmupSeconds: wss4jWarmupSeconds }));
        console.error("  measured wss4j");
        continue;
      }
      if (path === "xmlsec") {
        rows.push(...measureXmlsecRows(envelopes, keys, options));
        console.error("  measured xmlsec");
        continue;
      }
      for (const envelope of envelopes) {
        const result = await measurePath(path, envelope, { config, configDir, keys, options, connections });
        rows.push({ path, size: envelope, result });
        console.error(`  measured ${path} ${envelope.label}`);
      }
    }
    printTable(rows, envelopes, connections);
    console.log(`(full: every iteration must be admitted as ${BENCH_RUN_AS}; a fresh replay cache per iteration; WSS4J warm-up ${wss4jWarmupSeconds} s${interleaved ? ", then settled on each envelope; full and WSS4J rounds interleaved" : ""})`);
    console.log(`peak RSS of the bench process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
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
  readonly connections: number;
}

async function measurePath(path: Exclude<PathName, "wss4j" | "xmlsec">, envelope: BenchEnvelope, context: Context): Promise<Row["result"]> {
  switch (path) {
    case "full":
      return measure(fullVerification(context.config, envelope), context.options);
    case "verify":
      return measure(verifyOnly(context.config, envelope), context.options);
    case "parse":
      return measure(parseOnly(context.config, envelope), context.options);
    case "xmldom":
      return measure(xmldomParse(context.config, envelope), context.options);
    case "naive":
      return measure(naiveXmlCrypto(context.keys.certPem, envelope), context.options);
    case "http":
      return measureHttp(context.configDir, context.keys, envelope, context.options, context.connections);
    default: {
      const never: never = path;
      throw new Error(`unknown path ${String(never)}`);
    }
  }
}

/**
 * `full` and WSS4J on each envelope, their rounds alternating on this CPU
 * (the JVM is pinned where this process is, and each waits while the other
 * runs): WSS4J is warmed up for `wss4jWarmupSeconds` on the first envelope,
 * then settled on each (1 s rounds until two agree within 5 %).
 */
async function measureFullWithWss4j(envelopes: readonly BenchEnvelope[], context: Context, wss4jWarmupSeconds: number): Promise<Row[]> {
  const session = await startWss4jSession(context.keys, process.env.WSS_BENCH_PINNED === undefined ? {} : { cpu: process.env.WSS_BENCH_PINNED });
  const rows: Row[] = [];
  try {
    for (const [index, envelope] of envelopes.entries()) {
      const file = session.addEnvelope(envelope.label, envelope.bytes);
      await session.settle(file, index === 0 ? wss4jWarmupSeconds : 2, 10, 0.05);
      const iteration = fullVerification(context.config, envelope);
      await runFor(iteration, context.options.warmupSeconds, 3);
      const ours: number[] = [];
      const oursPerCpu: number[] = [];
      const theirs: number[] = [];
      const theirsPerCpu: number[] = [];
      let ourIterations = 0;
      const ourRound = async () => {
        const cpuBefore = process.cpuUsage();
        const { count, elapsedMs } = await runFor(iteration, context.options.seconds, 1);
        const cpu = process.cpuUsage(cpuBefore);
        ours.push((count * 1000) / elapsedMs);
        oursPerCpu.push((count * 1e6) / (cpu.user + cpu.system));
        ourIterations += count;
      };
      const theirRound = async () => {
        const round = await session.round(file, context.options.seconds);
        theirs.push(round.perSecond);
        if (round.perCpuSecond !== undefined) theirsPerCpu.push(round.perCpuSecond);
      };
      for (let round = 0; round < context.options.rounds; round++) {
        if (round % 2 === 0) {
          await theirRound();
          await ourRound();
        } else {
          await ourRound();
          await theirRound();
        }
      }
      const median = (rates: readonly number[]) => (rates.length === 0 ? undefined : summarize(rates, 0).medianPerSecond);
      const withPerCpu = (throughput: Throughput, perCpu: number | undefined): Throughput => (perCpu === undefined ? throughput : { ...throughput, perCpuSecond: perCpu });
      rows.push(
        { path: "full", size: envelope, result: withPerCpu(summarize(ours, ourIterations), median(oursPerCpu)) },
        { path: "wss4j", size: envelope, result: withPerCpu(summarize(theirs, 0), median(theirsPerCpu)) },
      );
    }
  } finally {
    await session.close();
  }
  return rows;
}

/** One JVM for every size (its warm-up is long); skipped, with the reason, when WSS4J is not installed. */
function measureWss4jRows(envelopes: readonly BenchEnvelope[], keys: ReturnType<typeof makeKeys>, options: MeasureOptions): Row[] {
  const missing = wss4jMissing();
  if (missing) return envelopes.map((size) => ({ path: "wss4j", size, result: { skipped: missing } }));
  const results = measureWss4j(keys, envelopes, options);
  return envelopes.map((size) => ({ path: "wss4j", size, result: results.get(size) ?? { skipped: "no result" } }));
}

/** One python process for every size; skipped, with the reason, when python3-xmlsec is not installed. */
function measureXmlsecRows(envelopes: readonly BenchEnvelope[], keys: ReturnType<typeof makeKeys>, options: MeasureOptions): Row[] {
  const missing = xmlsecMissing();
  if (missing) return envelopes.map((size) => ({ path: "xmlsec", size, result: { skipped: missing } }));
  const results = measureXmlsec(keys, envelopes, options);
  return envelopes.map((size) => ({ path: "xmlsec", size, result: results.get(size) ?? { skipped: "no result" } }));
}

function printTable(rows: readonly Row[], envelopes: readonly BenchEnvelope[], connections: number): void {
  const header = ["per second (best / median)", ...envelopes.map((envelope) => `${envelope.label} (${kilobytes(envelope.bytes.length)})`)];
  const lines: string[][] = [header];
  for (const path of PATHS) {
    const cells = envelopes.map((envelope) => rows.find((row) => row.path === path && row.size === envelope));
    if (cells.every((cell) => cell === undefined)) continue;
    const title = path === "http" ? `${PATH_TITLES[path]} (${connections} keep-alive connection${connections === 1 ? "" : "s"})` : PATH_TITLES[path];
    lines.push([title, ...cells.map((cell) => (cell ? formatResult(cell.result) : "-"))]);
  }
  for (const path of RATIO_PATHS) {
    const ratios = envelopes.map((envelope) => {
      const ours = rows.find((row) => row.path === path && row.size === envelope)?.result;
      const wss4j = rows.find((row) => row.path === "wss4j" && row.size === envelope)?.result;
      if (!ours || !wss4j || "skipped" in ours || "skipped" in wss4j) return undefined;
      return `${(ours.medianPerSecond / wss4j.medianPerSecond).toFixed(2)}x`;
    });
    if (ratios.some((ratio) => ratio !== undefined)) lines.push([`ratio ${path} / wss4j (medians)`, ...ratios.map((ratio) => ratio ?? "-")]);
    // Interleaved rounds also give each side's rate per second of its own process's CPU time, which the other's load moves less.
    const perCpu = envelopes.map((envelope) => {
      const ours = rows.find((row) => row.path === path && row.size === envelope)?.result;
      const wss4j = rows.find((row) => row.path === "wss4j" && row.size === envelope)?.result;
      if (!ours || !wss4j || "skipped" in ours || "skipped" in wss4j || ours.perCpuSecond === undefined || wss4j.perCpuSecond === undefined) return undefined;
      return [ours.perCpuSecond, wss4j.perCpuSecond] as const;
    });
    if (perCpu.some((pair) => pair !== undefined)) {
      lines.push([`${path} / wss4j per CPU-second (medians)`, ...perCpu.map((pair) => (pair ? `${format(pair[0])} / ${format(pair[1])}` : "-"))]);
      lines.push([`ratio ${path} / wss4j per CPU-second`, ...perCpu.map((pair) => (pair ? `${(pair[0] / pair[1]).toFixed(2)}x` : "-"))]);
    }
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
