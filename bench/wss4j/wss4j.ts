/**
 * The WSS4J figure: compiles bench/wss4j/Wss4jVerifyBench.java into a
 * temporary directory against Debian's libwss4j-java jars and runs it on the
 * same signed envelopes (written to temporary files), with the signer's
 * certificate in a PKCS#12 keystore. Skipped when java or the jars are missing.
 */
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
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
    const keystorePath = prepare(dir, keys);
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

/** The signer's certificate in a PKCS#12 keystore and the compiled bench class, in `dir`; returns the keystore's path. */
function prepare(dir: string, keys: BenchKeys): string {
  const keyPath = join(dir, "signer.key");
  const certPath = join(dir, "signer.pem");
  const keystorePath = join(dir, "signer.p12");
  writeFileSync(keyPath, keys.keyPem);
  writeFileSync(certPath, keys.certPem);
  execFileSync("openssl", ["pkcs12", "-export", "-in", certPath, "-inkey", keyPath, "-name", "signer", "-passout", "pass:changeit", "-out", keystorePath], { stdio: "ignore" });
  execFileSync("javac", ["-d", dir, "-cp", CLASSPATH.join(":"), SOURCE], { stdio: ["ignore", "ignore", "pipe"] });
  return keystorePath;
}

/**
 * One JVM kept running, driven round by round (Wss4jVerifyBench's interactive
 * mode), so that its rounds can be interleaved with another peer's on the
 * same CPU: both then see the same load from the rest of the machine.
 */
export interface Wss4jSession {
  /** Writes the envelope's bytes for the JVM; the returned name is used in settle/round. */
  addEnvelope(name: string, bytes: Buffer): string;
  /** Warm-up of at least `minimumSeconds`, then 1 s rounds until two agree within `tolerance` (at most `extraSeconds` more). */
  settle(file: string, minimumSeconds: number, extraSeconds: number, tolerance: number): Promise<string>;
  /** One round of about `seconds`: verifications per second of wall time and of the JVM's CPU time. */
  round(file: string, seconds: number): Promise<{ readonly perSecond: number; readonly perCpuSecond: number | undefined }>;
  close(): Promise<void>;
}

export async function startWss4jSession(keys: BenchKeys, options: { readonly cpu?: string } = {}): Promise<Wss4jSession> {
  const dir = mkdtempSync(join(tmpdir(), "wss-gateway-bench-wss4j-"));
  const keystorePath = prepare(dir, keys);
  const java = ["java", "-Dwss4j.interactive=true", "-cp", [dir, ...CLASSPATH].join(":"), "Wss4jVerifyBench", keystorePath, "changeit", "0", "0", "0"];
  const [command, ...args] = options.cpu === undefined ? java : ["taskset", "-c", options.cpu, ...java];
  const child = spawn(command!, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.startsWith("= ")) waiting.shift()?.resolve(line.slice(2));
  });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      for (const pending of waiting.splice(0)) pending.reject(new Error(`WSS4J exited (${code}): ${stderr}`));
      resolve();
    }),
  );
  const ask = (line: string) =>
    new Promise<string>((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin.write(`${line}\n`);
    });
  return {
    addEnvelope: (name, bytes) => {
      const path = join(dir, `${name.replace(/[^A-Za-z0-9_-]/g, "_")}.xml`);
      writeFileSync(path, bytes);
      return path;
    },
    settle: async (file, minimumSeconds, extraSeconds, tolerance) => (await ask(`settle ${file} ${minimumSeconds} ${extraSeconds} ${tolerance}`)).replace(`${file} `, ""),
    round: async (file, seconds) => {
      const [iterations, wallNanos, cpuNanos] = (await ask(`round ${file} ${seconds}`)).split(" ").map(Number);
      return { perSecond: (iterations! * 1e9) / wallNanos!, perCpuSecond: cpuNanos! > 0 ? (iterations! * 1e9) / cpuNanos! : undefined };
    },
    close: async () => {
      child.stdin.end("quit\n");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
