/**
 * `--help` for every command (SPEC §1: usage on stdout, exit 0) and
 * `--version`. A command whose module prints its own help is listed with it;
 * the others' usage lives here.
 */
import { readFileSync } from "node:fs";

export const SERVE_USAGE = `usage: wss-gateway serve [options]

Serves the SOAP gateway until SIGTERM/SIGINT; SIGHUP reloads the configuration
(and the TLS certificate and key).

  --config DIR            configuration directory (default $WSS_GATEWAY_CONFIG, else policies/)
  --port N                port (default $PORT, else 8080)
  --host H                address to listen on (default 0.0.0.0)
  --store URL             sqlite:PATH (default sqlite:data/gateway.db) or postgres://...
                          (default $WSS_GATEWAY_STORE)
  --replay-cache URL      memory (default; one worker only) or redis://...
                          (default $WSS_GATEWAY_REPLAY_CACHE)
  --workers N             worker processes (default 1; more than 1 needs a redis:// replay cache)
  --tls-cert F --tls-key F [--tls-client-ca F]
                          serve HTTPS; with --tls-client-ca a client certificate chained to F is required
  --metrics-port N [--metrics-host H]
                          serve /metrics, /readyz and /admin/ on a second listener (loopback by default)
`;

/** The package's version, from package.json (one level above src/ and dist/). */
export function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** True when argv asks for help: `--help` or `-h` anywhere before a `--`. */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const options = end === -1 ? argv : argv.slice(0, end);
  return options.includes("--help") || options.includes("-h");
}
