/**
 * Starts the `--metrics-port` listener (src/http/ops-app.ts) beside the
 * SOAP one: loopback unless told otherwise, HTTPS with the same certificate
 * when the gateway serves HTTPS. With --tls-client-ca a client certificate
 * is asked for but not required here, so that a scraper without one can
 * read /metrics; only a verified certificate can sign in to /admin/.
 */
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import cluster from "node:cluster";
import { joinClusterAdmin } from "../cluster/admin-snapshots.js";
import type { SnapshotSource } from "../admin/console.js";
import { createOpsApp } from "./ops-app.js";
import { serveWithLifecycle, type DrainResult } from "./lifecycle.js";
import type { GatewayServices } from "./services.js";

export interface OpsListenerOptions {
  readonly port: number;
  readonly host: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
  /** A node:cluster worker asks the primary for every worker's admin snapshot. */
  readonly clusterWorker: boolean;
}

export interface OpsListener {
  readonly url: string;
  readonly port: number;
  close(graceMs: number): Promise<DrainResult>;
}

/** How long an admin page waits for the other workers' snapshots before it shows what it has. */
const CLUSTER_ADMIN_TIMEOUT_MS = 3_000;

export async function startOpsListener(options: OpsListenerOptions, services: GatewayServices): Promise<OpsListener> {
  const ownSnapshot = () => services.admin.snapshot();
  const link = options.clusterWorker && cluster.isWorker ? joinClusterAdmin(ownSnapshot, CLUSTER_ADMIN_TIMEOUT_MS) : undefined;
  const snapshots: SnapshotSource = link ? () => link.snapshotAllWorkers() : async () => ({ snapshots: [await ownSnapshot()], workersAsked: 1 });
  const app = createOpsApp(services, snapshots);
  const tls = options.tls;
  const server: Server = tls
    ? createHttpsServer({
        cert: readFileSync(tls.certFile),
        key: readFileSync(tls.keyFile),
        ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile), requestCert: true, rejectUnauthorized: false } : {}),
      })
    : createServer();
  const connections = serveWithLifecycle(server, app.callback());
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  services.admin.rates.start();
  return {
    url: `${tls ? "https" : "http"}://${host}:${address.port}`,
    port: address.port,
    async close(graceMs) {
      services.admin.rates.stop();
      link?.leave();
      return connections.drain(graceMs);
    },
  };
}
