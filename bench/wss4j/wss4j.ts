/**
 * The WSS4J figure: compiles bench/wss4j/Wss4jVerifyBench.java into a
 * temporary directory against Debian's libwss4j-java jars and runs it on the
 * same signed envelopes (written to temporary files), with the signer's
 * certificate in a PKCS#12 keystore. Skipped when java or the jars are missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchEnvelope, BenchKeys } from "../fixtures.js";
import type { MeasureOptions, Throughput } from "../measure.js";

const CLASSPATH = ["wss4j.jar", "xmlsec.jar", "commons-logging.jar", "slf4j-api.jar", "slf4j-nop.jar", "commons-codec.jar", "woodstox-core.jar", "stax2-api.jar"].map(
  (jar) => join("/usr/share/java", jar),
);
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), "Wss4jVerifyBench.java");
/** The JVM needs longer than V8 to reach steady state. */
const MIN_WARMUP_SECONDS = 3;

export function wss4jMissing(): string | undefined {
  const missing = CLASSPATH.filter((jar) => !existsSync(jar));
  if (missing.length > 0) return `missing ${missing.map((jar) => jar.split("/").pop()).join(", ")} (Debian: libwss4j-java)`;
  try {
    execFileSync("javac", ["-version"], { stdio: "ignore" });
    execFileSync("java", ["-version"], { stdio: "ignore" });
  } catch {
    return "java/javac not installed";
  }
  return undefined;
}

/** Optional: pin the JVM (`taskset -c cpu`), and settle the warm-up (see Wss4jVerifyBench.java); each "# settle" line goes to `onNote`. */
export interface Wss4jRunOptions {
  readonly cpu?: string;
  readonly settleTolerance?: number;
  readonly onNote?: (line: string) => void;
}

export function measureWss4j(keys: BenchKeys, envelopes: readonly BenchEnvelope[], options: MeasureOptions, run: Wss4jRunOptions = {}): Map<BenchEnvelope, Throughput> {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-wss4j-"));
  try {
    const keyPath = join(dir, "signer.key");
    const certPath = join(dir, "signer.pem");
    const keystorePath = join(dir, "signer.p12");
    writeFileSync(keyPath, keys.keyPem);
    writeFileSync(certPath, keys.certPem);
    execFileSync("openssl", ["pkcs12", "-export", "-in", certPath, "-inkey", keyPath, "-name", "signer", "-passout", "pass:changeit", "-out", keystorePath], { stdio: "ignore" });
    execFileSync("javac", ["-d", dir, "-cp", CLASSPATH.join(":"), SOURCE], { stdio: ["ignore", "ignore", "pipe"] });
    const files = envelopes.map((envelope, index) => {
      const path = join(dir, `envelope-${index}.xml`);
      writeFileSync(path, envelope.bytes);
      return path;
    });
    const java = [
      "java",
      ...(run.settleTolerance === undefined ? [] : [`-Dwss4j.settle=${run.settleTolerance}`]),
      "-cp", [dir, ...CLASSPATH].join(":"), "Wss4jVerifyBench",
      keystorePath, "changeit", String(options.seconds), String(options.rounds), String(Math.max(MIN_WARMUP_SECONDS, options.warmupSeconds)),
      ...files,
    ];
    const [command, ...args] = run.cpu === undefined ? java : ["taskset", "-c", run.cpu, ...java];
    const output = execFileSync(command!, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1024 * 1024 });
    const results = new Map<BenchEnvelope, Throughput>();
    for (const line of output.trim().split("\n")) {
      if (line.startsWith("# ")) {
        run.onNote?.(files.reduce((text, file, index) => text.replace(file, envelopes[index]!.label), line.slice(2)));
        continue;
      }
      const [file, best, median, iterations, perCpuSecond] = line.trim().split(" ");
      const envelope = envelopes[files.indexOf(file!)];
      if (!envelope) throw new Error(`unexpected WSS4J bench output: ${line}`);
      const cpu = Number(perCpuSecond);
      results.set(envelope, { bestPerSecond: Number(best), medianPerSecond: Number(median), iterations: Number(iterations), ...(cpu > 0 ? { perCpuSecond: cpu } : {}) });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
