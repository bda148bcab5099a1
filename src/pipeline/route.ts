/** Stage: which endpoint a request is for (SPEC §3), or 404/405. */
import type { GatewayConfig } from "../config/types.js";
import type { GatewayResponse, Route } from "../http/state.js";

export type RouteResult = { readonly kind: "route"; readonly route: Route } | { readonly kind: "stop"; readonly response: GatewayResponse };

const TABLE_PATH = /^\/([a-z_][a-z0-9_]{0,62})\.do$/;
const TABLE_ENDPOINTS = { SOAP: "soap", WSDL: "wsdl", XSD: "xsd" } as const;
const SERVICE_PATHS = { "/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics" } as const;

export function routeRequest(config: GatewayConfig, method: string, path: string, querystring: string): RouteResult {
  if (Object.hasOwn(SERVICE_PATHS, path)) {
    const kind = SERVICE_PATHS[path as keyof typeof SERVICE_PATHS];
    return isReadMethod(method) ? route({ kind }) : methodNotAllowed("GET, HEAD");
  }
  const table = TABLE_PATH.exec(path)?.[1];
  const flag = querystring.split("&")[0]!.split("=")[0]!.toUpperCase();
  if (table === undefined || !Object.hasOwn(TABLE_ENDPOINTS, flag)) return notFound("no such endpoint");
  const tableDef = config.tables.get(table);
  if (!tableDef) return notFound(`unknown table ${table}`);
  const kind = TABLE_ENDPOINTS[flag as keyof typeof TABLE_ENDPOINTS];
  if (kind === "soap") return method === "POST" ? route({ kind, table: tableDef }) : methodNotAllowed("POST");
  return isReadMethod(method) ? route({ kind, table: tableDef }) : methodNotAllowed("GET, HEAD");
}

function isReadMethod(method: string): boolean {
  return method === "GET" || method === "HEAD";
}

function route(value: Route): RouteResult {
  return { kind: "route", route: value };
}

function notFound(message: string): RouteResult {
  return { kind: "stop", response: { kind: "http-error", status: 404, message } };
}

function methodNotAllowed(allow: string): RouteResult {
  return { kind: "stop", response: { kind: "http-error", status: 405, message: "method not allowed", headers: { Allow: allow } } };
}
