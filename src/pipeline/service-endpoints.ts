/**
 * Stage: /healthz (liveness), /readyz (configuration loaded, and the store,
 * replay cache and throttle store answering: http/readiness.ts), /metrics (Prometheus; with `serve --workers N`, every worker's).
 */
import type { GatewayConfig } from "../config/types.js";
import type { GatewayServices } from "../http/services.js";
import type { GatewayResponse, Route } from "../http/state.js";
import { checkReadiness } from "../http/readiness.js";

export async function serviceEndpoint(route: Route, config: GatewayConfig, services: GatewayServices): Promise<GatewayResponse | undefined> {
  switch (route.kind) {
    case "healthz":
      return text(200, "ok\n");
    case "readyz": {
      const readiness = await checkReadiness(services.dependencies);
      const body = `${readiness.lines.join("\n")}\nconfiguration: ok, ${config.tables.size} tables published\n`;
      return readiness.ready ? text(200, `ready\n${body}`) : text(503, `not ready\n${body}`);
    }
    case "metrics": {
      const scrape = await services.metrics.scrape();
      switch (scrape.kind) {
        case "metrics":
          return { kind: "document", status: 200, contentType: scrape.contentType, body: scrape.body };
        case "unavailable":
          // A partial or per-worker answer would look like counter resets to Prometheus: no answer is better.
          services.logger.warn({ reason: scrape.reason }, "/metrics: the metrics of all workers are unavailable");
          return text(503, `metrics of all workers unavailable: ${scrape.reason}\n`);
        default: {
          const unexpected: never = scrape;
          return unexpected;
        }
      }
    }
    default:
      return undefined;
  }
}

function text(status: 200 | 503, body: string): GatewayResponse {
  return { kind: "document", status, contentType: "text/plain; charset=utf-8", body };
}
