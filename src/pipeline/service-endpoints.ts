/** Stage: /healthz (liveness), /readyz (store reachable, configuration loaded), /metrics (Prometheus). */
import type { GatewayConfig } from "../config/types.js";
import type { GatewayServices } from "../http/services.js";
import type { GatewayResponse, Route } from "../http/state.js";

export async function serviceEndpoint(route: Route, config: GatewayConfig, services: GatewayServices): Promise<GatewayResponse | undefined> {
  switch (route.kind) {
    case "healthz":
      return text(200, "ok\n");
    case "readyz": {
      try {
        await services.store.ping();
      } catch {
        return text(503, "store unreachable\n");
      }
      return text(200, `ready: ${config.tables.size} tables published\n`);
    }
    case "metrics": {
      const registry = services.metrics.registry;
      return { kind: "document", status: 200, contentType: registry.contentType, body: await registry.metrics() };
    }
    default:
      return undefined;
  }
}

function text(status: 200 | 503, body: string): GatewayResponse {
  return { kind: "document", status, contentType: "text/plain; charset=utf-8", body };
}
