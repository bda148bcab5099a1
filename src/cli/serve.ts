/** `wss-gateway serve`: runs the gateway until SIGTERM/SIGINT; SIGHUP reloads the configuration. */
import { parseArgs } from "node:util";
import { startGateway } from "../http/server.js";
import { ConfigError, formatConfigProblem } from "../config/types.js";
import { USAGE_ERROR, type CommandIo } from "./io.js";

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
  if (workers !== 1) {
    io.stderr.write("serve: --workers: only 1 worker is supported in this version\n");
    return USAGE_ERROR;
  }
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) {
    io.stderr.write("serve: --tls-cert and --tls-key go together\n");
    return USAGE_ERROR;
  }
  let gateway;
  try {
    gateway = await startGateway({
      configDir: values.config ?? process.env.WSS_GATEWAY_CONFIG ?? "policies",
      port,
      host: values.host ?? "0.0.0.0",
      store: values.store ?? process.env.WSS_GATEWAY_STORE ?? "sqlite:data/gateway.db",
      replayCache: values["replay-cache"] ?? process.env.WSS_GATEWAY_REPLAY_CACHE ?? "memory",
      tls: values["tls-cert"]
        ? { certFile: values["tls-cert"], keyFile: values["tls-key"]!, clientCaFile: values["tls-client-ca"] }
        : undefined,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`serve: the configuration is invalid:\n${error.problems.map(formatConfigProblem).join("\n")}\n`);
    } else {
      io.stderr.write(`serve: ${(error as Error).message}\n`);
    }
    return 1;
  }
  process.on("SIGHUP", () => gateway.reload());
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await gateway.close();
  return 0;
}
