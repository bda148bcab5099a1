/**
 * `serve --workers N`: the primary process. It validates the configuration
 * once, forks N workers that share the listening port (node:cluster), and
 * serves nothing itself. It watches the configuration and forwards SIGHUP
 * (reload) and SIGTERM/SIGINT (graceful shutdown) to every worker, and
 * replaces a worker that dies unexpectedly, within a restart budget. It
 * aggregates the workers' metrics for /metrics (cluster/metrics-primary.ts).
 */
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { evaluateConfig } from "../config/load.js";
import { formatConfigProblem } from "../config/types.js";
import { watchConfig } from "../config/watch.js";
import { aggregateWorkerMetrics } from "./metrics-primary.js";
import { collectAdminSnapshots } from "./admin-snapshots.js";
import { restartBudget } from "./restart-budget.js";

export interface PrimaryOptions {
  readonly workers: number;
  readonly configDir: string;
  readonly tls: boolean;
  readonly logger: Logger;
  readonly stderr: NodeJS.WritableStream;
  /** The workers' own grace period; the primary waits this plus a margin before it kills them. */
  readonly shutdownGraceMs: number;
}

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const KILL_MARGIN_MS = 5_000;
const CONFIG_WATCH_DEBOUNCE_MS = 200;
/**
 * Above the Redis command timeout (2 s), so that an unresponsive cache makes a
 * worker report its gauge as NaN rather than miss the collection; below the
 * workers' 3 s wait for the aggregate (observability/metrics.ts), so that they
 * get "unavailable" with its reason.
 */
const METRICS_COLLECT_TIMEOUT_MS = 2_500;

/** Resolves with the exit status: 0 after a clean shutdown of every worker. */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger } = options;
  const evaluation = evaluateConfig(options.configDir);
  if (evaluation.kind === "invalid") {
    options.stderr.write(`serve: the configuration is invalid:\n${evaluation.problems.map(formatConfigProblem).join("\n")}\n`);
    return Promise.resolve(1);
  }
  const certificatePathsOf = (dir: string): string[] => {
    const next = evaluateConfig(dir);
    return next.kind === "valid" ? [...next.config.certificates.keys()] : [];
  };

  return new Promise<number>((resolve) => {
    const live = new Set<Worker>();
    const listened = new Set<number>();
    const budget = restartBudget(MAX_RESTARTS, RESTART_WINDOW_MS);
    let announced = false;
    let stopping = false;
    let exitCode = 0;
    let killTimer: NodeJS.Timeout | undefined;

    const fork = () => live.add(cluster.fork());
    const stopAggregatingMetrics = aggregateWorkerMetrics({
      workers: () => [...live].filter((worker) => listened.has(worker.id) && worker.isConnected()),
      collectTimeoutMs: METRICS_COLLECT_TIMEOUT_MS,
    });
    const stopCollectingAdminSnapshots = collectAdminSnapshots({
      workers: () => [...live].filter((worker) => listened.has(worker.id) && worker.isConnected()),
      collectTimeoutMs: METRICS_COLLECT_TIMEOUT_MS,
    });
    const forward = (signal: NodeJS.Signals) => {
      for (const worker of live) worker.process.kill(signal);
    };

    const watcher = watchConfig({
      dir: options.configDir,
      certificatePaths: evaluation.config.certificates.keys(),
      debounceMs: CONFIG_WATCH_DEBOUNCE_MS,
      onChange: () => {
        logger.info("configuration files changed; workers reload");
        forward("SIGHUP");
        watcher.watchCertificates(certificatePathsOf(options.configDir));
      },
      onError: (message) => logger.warn({ message }, "configuration watch unavailable; reload with SIGHUP"),
    });

    const finish = () => {
      clearTimeout(killTimer);
      stopAggregatingMetrics();
      stopCollectingAdminSnapshots();
      process.removeListener("SIGHUP", onHangup);
      process.removeListener("SIGTERM", onStop);
      process.removeListener("SIGINT", onStop);
      logger.info({ exitCode }, "wss-gateway primary stopped");
      resolve(exitCode);
    };

    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      watcher.close();
      logger.info({ reason, workers: live.size }, "shutting down workers");
      if (live.size === 0) return finish();
      forward("SIGTERM");
      killTimer = setTimeout(() => {
        exitCode = 1;
        logger.error({ workers: live.size }, "workers did not stop in time; killed");
        forward("SIGKILL");
      }, options.shutdownGraceMs + KILL_MARGIN_MS);
    };

    const onHangup = () => {
      logger.info("SIGHUP: workers reload");
      forward("SIGHUP");
    };
    const onStop = (signal: NodeJS.Signals) => stop(signal);
    process.on("SIGHUP", onHangup);
    process.once("SIGTERM", onStop);
    process.once("SIGINT", onStop);

    cluster.on("listening", (worker, address) => {
      listened.add(worker.id);
      if (announced || listened.size < options.workers) return;
      announced = true;
      const host = address.addressType === 6 ? `[${address.address}]` : address.address;
      logger.info({ url: `${options.tls ? "https" : "http"}://${host}:${address.port}`, workers: options.workers }, "wss-gateway workers listening");
    });

    cluster.on("exit", (worker, code, signal) => {
      live.delete(worker);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        if (live.size === 0) finish();
        return;
      }
      const death = { worker: worker.id, code, signal };
      if (!listened.has(worker.id) && !announced) {
        logger.error(death, "a worker failed to start; stopping");
        exitCode = 1;
        return stop("worker failed to start");
      }
      if (!budget.allowRestart(Date.now())) {
        logger.error({ ...death, maxRestarts: MAX_RESTARTS, windowSeconds: RESTART_WINDOW_MS / 1000 }, "workers keep dying; stopping");
        exitCode = 1;
        return stop("restart budget exhausted");
      }
      logger.warn(death, "worker died unexpectedly; starting a new one");
      fork();
    });

    // Structured clone rather than JSON over IPC: a gauge's NaN ("unknown") must reach the aggregate as NaN, not null.
    cluster.setupPrimary({ serialization: "advanced", execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
    for (let i = 0; i < options.workers; i++) fork();
    logger.info({ workers: options.workers, pid: process.pid }, "wss-gateway primary started");
  });
}

/** V8's young generation per semi-space for the workers, in MB (Node's default is 16). */
export const WORKER_SEMI_SPACE_MB = 32;

/**
 * The workers' Node options: the primary's, plus a 32 MB semi-space unless
 * the operator chose one (in the command line or NODE_OPTIONS). A request's
 * tree, records and response live for the whole request; with the default
 * 16 MB they survived several young-generation collections each (copied
 * every time) and were promoted: in-process, 32 MB cut the CPU per request
 * by 15–23 % at 100 KB and 14 % at 1 MB (element-heavy insertMultiple),
 * nothing measurable at 6 KB (docs/performance.md, "After the decision").
 * It costs up to 3 × 16 MB more heap per worker when busy.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const chosen = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((option) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(option));
  return chosen ? [...execArgv] : [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];
}
