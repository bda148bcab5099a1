/**
 * Starts a gateway: loads and validates the configuration, opens the store
 * and the replay cache, and serves the pipeline over HTTP(S).
 */
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
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
import { openReplayEpoch } from "../replay/epoch.js";
import { CredentialCache } from "../auth/credential-cache.js";
import { openFailureStore } from "../abuse/open-failure-store.js";
import { failClosed } from "../abuse/fail-closed.js";
import { createDependencyReporter, reportingFailures } from "../observability/dependency-errors.js";
import { ensureSchemaOrDefer } from "../store/deferred-schema.js";
import { dependencyKind, type DependencyProbe } from "./readiness.js";
import { createAdmissionControl } from "../pipeline/admission.js";
import { BODY_READ_TIMEOUT_MS } from "../pipeline/read-body.js";
import { createGatewayMetrics, recordReplayEpochMarkerDistrusted, recordThrottleStoreUnavailable, type MetricsScope } from "../observability/metrics.js";
import { createLogger } from "../observability/logger.js";
import { logExpiringCertificates } from "../observability/certificate-expiry.js";
import { readTlsMaterial, TlsCertificate } from "./tls-reload.js";
import { createApp } from "./app.js";
import { AdminRecorder, reloadRecord } from "../admin/snapshot.js";
import { startOpsListener } from "./ops-listener.js";
import { watchConfig, type ConfigWatcher } from "../config/watch.js";
import { createReloader, type ReloadResult } from "./config-reload.js";
import { serveWithLifecycle, type DrainResult } from "./lifecycle.js";
import type { ConfigHolder, GatewayServices } from "./services.js";
import { keepStringPrototypeFast } from "../runtime/string-prototype.js";

export interface GatewayOptions {
  readonly configDir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** `sqlite:PATH` (default `sqlite:data/gateway.db`) or `postgres://…`. */
  readonly store?: string;
  /** Opens the `store` URL; default src/store/open.ts (tests: a SQLite store whose WAL sync is held or fails). */
  readonly openStore?: (url: string) => Promise<Store>;
  /** `memory` (default) or `redis://…`. */
  readonly replayCache?: string;
  /** Namespace of the brute-force throttle's Redis keys (with a redis:// replay cache); default `wss-gateway:throttle:`. */
  readonly throttleKeyPrefix?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
  /** Reload when the configuration files (or its certificate files) change; default false. */
  readonly watchConfig?: boolean;
  /** How long a SOAP body may take to arrive once the gateway reads it (then 408); default 30 s. */
  readonly bodyReadTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open; default Node's 5 s. */
  readonly keepAliveTimeoutMs?: number;
  /** How long close() lets requests in flight finish before it drops them; default 10 s. */
  readonly shutdownGraceMs?: number;
  /** "cluster-worker" (a worker of `serve --workers N`): /metrics answers every worker's metrics; default "process". */
  readonly metricsScope?: MetricsScope;
  /**
   * `--metrics-port` / `--metrics-host`: /metrics, /readyz and the admin console on a second
   * listener (src/http/ops-listener.ts); the SOAP port then answers 404 for them. Without it
   * /metrics and /readyz stay on the SOAP port and /admin/ is off.
   */
  readonly metricsListener?: { readonly port: number; readonly host?: string };
}

const CONFIG_WATCH_DEBOUNCE_MS = 200;
const DISTRUSTED_MARKER_MESSAGES = {
  ahead:
    "replay cache epoch marker is ahead of this instance's clock beyond clock_skew_seconds (set by an instance whose clock runs ahead?): using this instance's now as the epoch; check NTP on every instance",
  behind:
    "replay cache epoch marker changed to a time before this instance read the previous one (set by an instance whose clock runs behind?): using this instance's now as the epoch; check NTP on every instance",
} as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  /** The --metrics-port listener's base URL, when there is one. */
  readonly metricsUrl: string | undefined;
  readonly services: GatewayServices;
  /** Reloads the configuration; an invalid one is refused and the running one stays. */
  reload(trigger?: string): Promise<ReloadResult>;
  /** Graceful shutdown: stops accepting, finishes requests in flight, then closes the store and replay cache. */
  close(): Promise<DrainResult>;
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
  keepStringPrototypeFast(); // every module is loaded by now (see the module for why)
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? systemClock;
  const configs = new SwappableConfig(loadConfig(options.configDir));
  const storeUrl = options.store ?? "sqlite:data/gateway.db";
  const replayCacheUrl = options.replayCache ?? "memory";
  // A store or Redis that is unreachable now does not stop the start (SPEC §1): /readyz names it, requests get 503.
  const rawStore = await ensureSchemaOrDefer(await (options.openStore ?? openStore)(storeUrl), [...configs.current().tables.values()], (error) =>
    logger.error({ dependency: "store", reason: error.reason }, "store unreachable at start: serving 503 until it is back; tables are created then"),
  );
  const rawReplayCache: ReplayCache = await openReplayCache(replayCacheUrl, clock);
  // The throttle counts in the replay cache's Redis when there is one, so workers and instances count together.
  const failureStore = await openFailureStore(replayCacheUrl, clock, { redisKeyPrefix: options.throttleKeyPrefix });
  const tls = options.tls ? new TlsCertificate(options.tls, readTlsMaterial(options.tls)) : undefined;
  const admission = createAdmissionControl();
  const metrics = createGatewayMetrics({
    currentConfig: () => configs.current(),
    tlsCertificate: () => tls?.certificate,
    now: () => clock.now(),
    replayCacheSize: () => rawReplayCache.size(),
    blockedCounts: () => failureStore.blockedCounts(),
    inFlight: () => admission.inFlight(),
  }, options.metricsScope);
  const reporter = createDependencyReporter({ logger, metrics, clock });
  const rawReplayEpoch = await openReplayEpoch(replayCacheUrl, clock, {
    onDistrustedMarker: (event) => {
      recordReplayEpochMarkerDistrusted(metrics, event.kind);
      const fields = { marker: event.marker.toISOString(), epoch: event.now.toISOString(), ...(event.previousReadAt ? { previousReadAt: event.previousReadAt.toISOString() } : {}) };
      logger.error(fields, DISTRUSTED_MARKER_MESSAGES[event.kind]);
    },
  });
  // Failures are reported where they happen and reach the pipeline as DependencyUnavailableError (503).
  const store: Store = reportingFailures(rawStore, "store", reporter, ["ping", "close"], () => false);
  const replayCache: ReplayCache = reportingFailures(rawReplayCache, "replay cache", reporter, ["size", "ping", "close"]);
  const replayEpoch = reportingFailures(rawReplayEpoch, "replay cache", reporter, ["close"]);
  const throttle = failClosed(failureStore, { reporter, countUnavailable: (operation) => recordThrottleStoreUnavailable(metrics, operation) });
  const admin = new AdminRecorder(metrics, () => clock.now().getTime());
  const dependencies: DependencyProbe[] = [
    { dependency: "store", kind: dependencyKind(storeUrl), ping: () => rawStore.ping() },
    {
      dependency: "replay cache",
      kind: dependencyKind(replayCacheUrl),
      // Reading the epoch also re-establishes the marker after a flush, so a new epoch begins at the next probe rather than at a request.
      ping: async () => {
        await rawReplayCache.ping();
        await rawReplayEpoch.current(configs.current().gateway.wsSecurity.clockSkewSeconds);
      },
    },
    { dependency: "throttle store", kind: dependencyKind(replayCacheUrl), ping: () => failureStore.ping() },
  ];
  const services: GatewayServices = { configs, store, replayCache, replayEpoch, clock, logger, credentialCache: new CredentialCache(clock), throttle, metrics, admin, dependencies, admission,
    bodyReadTimeoutMs: options.bodyReadTimeoutMs ?? BODY_READ_TIMEOUT_MS,
  };
  if (!configs.current().gateway.strictSecurity) {
    logger.warn("strict_security is false: any authenticated user may use any published table");
  }

  const app = createApp(services, { opsEndpoints: options.metricsListener === undefined });
  const server: Server = options.tls
    ? createHttpsServer({
        cert: readFileSync(options.tls.certFile),
        key: readFileSync(options.tls.keyFile),
        ...(options.tls.clientCaFile ? { ca: readFileSync(options.tls.clientCaFile), requestCert: true, rejectUnauthorized: true } : {}),
      })
    : createServer();
  const remindOfExpiry = (trigger: "start" | "reload" | "daily") => logExpiringCertificates(logger, configs.current(), tls?.certificate, clock.now(), trigger);
  remindOfExpiry("start");
  const dailyReminder = setInterval(() => remindOfExpiry("daily"), DAY_MS).unref();
  const connections = serveWithLifecycle(server, app.callback());
  // A backstop only: the pipeline answers 408 itself after BODY_READ_TIMEOUT_MS (so the audit records it).
  server.requestTimeout = 120_000;
  server.headersTimeout = 10_000;
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${options.tls ? "https" : "http"}://${host}:${address.port}`;
  logger.info({ url, tables: [...configs.current().tables.keys()] }, "wss-gateway listening");
  const metricsListener = options.metricsListener;
  const ops = metricsListener
    ? await startOpsListener(
        { port: metricsListener.port, host: metricsListener.host ?? "127.0.0.1", tls: options.tls, clusterWorker: options.metricsScope === "cluster-worker" },
        services,
      ).catch(async (error: unknown) => {
        await connections.drain(0); // the metrics port is taken: do not leave the SOAP port half started
        throw error;
      })
    : undefined;
  if (ops) logger.info({ url: ops.url }, "metrics, readiness and admin console listening");

  const reloader = createReloader({
    configDir: options.configDir,
    configs,
    store,
    logger,
    onResult: (trigger, result) => {
      admin.recordReload(reloadRecord(trigger, result, clock.now()));
      // The TLS certificate is renewed like the configuration (SIGHUP, file change), whatever became of the rest.
      tls?.reload([server as HttpsServer], logger);
      remindOfExpiry("reload");
    },
  });
  const certificatePaths = () => configs.current().certificates.keys();
  const watcher: ConfigWatcher | undefined = options.watchConfig
    ? watchConfig({
        dir: options.configDir,
        certificatePaths: certificatePaths(),
        debounceMs: CONFIG_WATCH_DEBOUNCE_MS,
        onChange: () => {
          void reloader.reload("file change").then(() => watcher?.watchCertificates(certificatePaths()));
        },
        onError: (message) => logger.warn({ message }, "configuration watch unavailable; reload with SIGHUP"),
      })
    : undefined;

  return {
    url,
    port: address.port,
    metricsUrl: ops?.url,
    services,
    reload: (trigger = "reload") => reloader.reload(trigger),
    async close() {
      watcher?.close();
      clearInterval(dailyReminder);
      const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
      const [drained] = await Promise.all([connections.drain(graceMs), ops?.close(graceMs)]);
      if (drained.kind === "forced") logger.warn({ connections: drained.connections }, "shutdown grace period over; connections dropped");
      await rawReplayCache.close();
      await rawReplayEpoch.close();
      await throttle.close();
      await store.close();
      metrics.close();
      return drained;
    },
  };
}
