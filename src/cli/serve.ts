/**
 * `wss-gateway serve`: runs the gateway until SIGTERM/SIGINT (graceful:
 * requests in flight finish, then the store and replay cache close); SIGHUP
 * and changes to the configuration files reload the configuration.
 * With `--workers N` (N > 1) this process becomes the cluster primary
 * (src/cluster/primary.ts) and each worker runs this same command.
 */
import cluster from "node:cluster";
import { parseArgs } from "node:util";
import type { Logger } from "pino";
import { startGateway, type GatewayOptions } from "../http/server.js";
import { runPrimary } from "../cluster/primary.js";
import { ConfigError, formatConfigProblem } from "../config/types.js";
import { createLogger } from "../observability/logger.js";
import { USAGE_ERROR, type CommandIo } from "./io.js";

const SHUTDOWN_GRACE_MS = 10_000;
/**
 * After "stopped" is logged, the process exits by itself once its handles are
 * closed; should one linger (a reconnecting client, a stuck socket), it exits
 * anyway this much later, so a supervisor never waits on a stopped gateway.
 */
const EXIT_AFTER_STOP_MS = 1_000;

function exitPromptlyAfterStop(status: number): number {
  setTimeout(() => process.exit(status), EXIT_AFTER_STOP_MS).unref();
  return status;
}

export async function runServe(argv: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        store: { type: "string" },
        "replay-cache": { type: "string" },
        workers: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-client-ca": { type: "string" },
        "metrics-port": { type: "string" },
        "metrics-host": { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`serve: ${(error as Error).message}\n`);
    return USAGE_ERROR;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`serve: --port: not a port number: ${values.port ?? process.env.PORT}\n`);
    return USAGE_ERROR;
  }
  const workers = Number(values.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    io.stderr.write(`serve: --workers: expected a whole number from 1 to 64, got ${values.workers}\n`);
    return USAGE_ERROR;
  }
  const metricsPort = values["metrics-port"] === undefined ? undefined : Number(values["metrics-port"]);
  if (metricsPort !== undefined && (!/^\d+$/.test(values["metrics-port"]!) || metricsPort > 65535)) {
    io.stderr.write(`serve: --metrics-port: not a port number: ${values["metrics-port"]}\n`);
    return USAGE_ERROR;
  }
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    io.stderr.write("serve: --metrics-port must differ from --port\n");
    return USAGE_ERROR;
  }
  if (values["metrics-host"] !== undefined && metricsPort === undefined) {
    io.stderr.write("serve: --metrics-host needs --metrics-port\n");
    return USAGE_ERROR;
  }
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) {
    io.stderr.write("serve: --tls-cert and --tls-key go together\n");
    return USAGE_ERROR;
  }
  const replayCache = values["replay-cache"] ?? process.env.WSS_GATEWAY_REPLAY_CACHE ?? "memory";
  if (workers > 1 && replayCache === "memory") {
    io.stderr.write(
      `serve: --replay-cache memory is only valid with one worker: each of the ${workers} workers would keep its own cache and accept a replay the others saw; use --replay-cache redis://…\n`,
    );
    return USAGE_ERROR;
  }
  const configDir = values.config ?? process.env.WSS_GATEWAY_CONFIG ?? "policies";
  const gatewayOptions: GatewayOptions = {
    configDir,
    port,
    host: values.host ?? "0.0.0.0",
    store: values.store ?? process.env.WSS_GATEWAY_STORE ?? "sqlite:data/gateway.db",
    replayCache,
    tls: values["tls-cert"] ? { certFile: values["tls-cert"], keyFile: values["tls-key"]!, clientCaFile: values["tls-client-ca"] } : undefined,
    shutdownGraceMs: SHUTDOWN_GRACE_MS,
    // Loopback unless --metrics-host says otherwise: the admin console and the metrics are not for the world.
    metricsListener: metricsPort === undefined ? undefined : { port: metricsPort, host: values["metrics-host"] ?? "127.0.0.1" },
  };

  if (workers > 1 && cluster.isPrimary) {
    const status = await runPrimary({
      workers,
      configDir,
      tls: gatewayOptions.tls !== undefined,
      logger: createLogger().child({ role: "primary" }),
      stderr: io.stderr,
      shutdownGraceMs: SHUTDOWN_GRACE_MS,
    });
    return exitPromptlyAfterStop(status);
  }
  if (cluster.isWorker) {
    // The primary watches the files and forwards SIGHUP; the IPC channel must close for the worker to exit.
    const logger = createLogger().child({ worker: cluster.worker!.id, pid: process.pid });
    const status = await serveUntilStopped({ ...gatewayOptions, logger, watchConfig: false, metricsScope: "cluster-worker" }, io, logger);
    process.exitCode = status;
    cluster.worker!.disconnect(); // a worker.disconnect() is a planned exit, with this status
    return exitPromptlyAfterStop(status);
  }
  const logger = createLogger();
  return exitPromptlyAfterStop(await serveUntilStopped({ ...gatewayOptions, logger, watchConfig: true }, io, logger));
}

/** Runs one gateway until SIGTERM/SIGINT; 0 when every request in flight finished, 1 otherwise. */
async function serveUntilStopped(options: GatewayOptions, io: CommandIo, logger: Logger): Promise<number> {
  let gateway;
  try {
    gateway = await startGateway(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`serve: the configuration is invalid:\n${error.problems.map(formatConfigProblem).join("\n")}\n`);
    } else {
      io.stderr.write(`serve: ${(error as Error).message}\n`);
    }
    return 1;
  }
  const onHangup = () => void gateway.reload("SIGHUP");
  process.on("SIGHUP", onHangup);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  process.removeListener("SIGHUP", onHangup);
  logger.info({ signal }, "shutting down: no new connections, finishing requests in flight");
  const drained = await gateway.close();
  logger.info({ drained: drained.kind }, "wss-gateway stopped");
  logger.flush();
  return drained.kind === "drained" ? 0 : 1;
}
