/**
 * Starts a gateway: loads and validates the configuration, opens the store
 * and the replay cache, and serves the pipeline over HTTP(S).
 */
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { systemClock, type Clock } from "../clock.js";
import { loadConfig } from "../config/load.js";
import type { GatewayConfig } from "../config/types.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/types.js";
import { openReplayCache } from "../replay/open.js";
import type { ReplayCache } from "../replay/types.js";
import { CredentialCache } from "../auth/credential-cache.js";
import { createLogger } from "../observability/logger.js";
import { createApp } from "./app.js";
import { recordConfigReload } from "../observability/metrics.js";
import type { ConfigHolder, GatewayServices } from "./services.js";

export interface GatewayOptions {
  readonly configDir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** `sqlite:PATH` (default `sqlite:data/gateway.db`) or `postgres://…`. */
  readonly store?: string;
  /** `memory` (default) or `redis://…`. */
  readonly replayCache?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly services: GatewayServices;
  /** Reloads the configuration; an invalid one is refused and the running one stays. */
  reload(): { readonly kind: "reloaded" } | { readonly kind: "refused"; readonly error: Error };
  close(): Promise<void>;
}

class SwappableConfig implements ConfigHolder {
  constructor(private config: GatewayConfig) {}
  current(): GatewayConfig {
    return this.config;
  }
  swap(next: GatewayConfig): void {
    this.config = next;
  }
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? systemClock;
  const configs = new SwappableConfig(loadConfig(options.configDir));
  const store: Store = await openStore(options.store ?? "sqlite:data/gateway.db");
  await store.ensureTables([...configs.current().tables.values()]);
  const replayCache: ReplayCache = await openReplayCache(options.replayCache ?? "memory", clock);
  const services: GatewayServices = { configs, store, replayCache, clock, logger, credentialCache: new CredentialCache(clock) };
  if (!configs.current().gateway.strictSecurity) {
    logger.warn("strict_security is false: any authenticated user may use any published table");
  }

  const app = createApp(services);
  const server: Server = options.tls
    ? createHttpsServer(
        {
          cert: readFileSync(options.tls.certFile),
          key: readFileSync(options.tls.keyFile),
          ...(options.tls.clientCaFile ? { ca: readFileSync(options.tls.clientCaFile), requestCert: true, rejectUnauthorized: true } : {}),
        },
        app.callback(),
      )
    : createServer(app.callback());
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${options.tls ? "https" : "http"}://${host}:${address.port}`;
  logger.info({ url, tables: [...configs.current().tables.keys()] }, "wss-gateway listening");

  return {
    url,
    port: address.port,
    services,
    reload() {
      try {
        const next = loadConfig(options.configDir);
        configs.swap(next);
        recordConfigReload("success");
        logger.info("configuration reloaded");
        return { kind: "reloaded" };
      } catch (error) {
        recordConfigReload("failure");
        logger.error({ error: error instanceof Error ? error.message : String(error) }, "configuration reload refused; the running configuration stays");
        return { kind: "refused", error: error instanceof Error ? error : new Error(String(error)) };
      }
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await replayCache.close();
      await store.close();
    },
  };
}
