/**
 * `wss-gateway certs [DIR]`: lists every certificate the configuration in DIR
 * (default $WSS_GATEWAY_CONFIG, else `policies`) references — profiles'
 * certificates and CA certificates, users' client certificates — with who
 * uses it, subject, issuer, SHA-256 fingerprint, notAfter and days left.
 * A certificate expiring within 30 days, or expired, is flagged WARN on
 * stdout and repeated on stderr. Exits 0 (warnings included), 1 when the
 * configuration is invalid (every `file:line: field: message` printed), 2 on
 * bad arguments.
 */
import { systemClock, type Clock } from "../clock.js";
import { loadConfig } from "../config/load.js";
import { ConfigError, formatConfigProblem, type GatewayConfig } from "../config/types.js";
import { certificateInventory, describeUse, type InventoryEntry } from "../observability/certificate-inventory.js";
import { USAGE_ERROR } from "./io.js";

export interface CertsIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Defaults to the system clock. */
  readonly clock?: Clock;
}

export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const USAGE = "usage: wss-gateway certs [DIR]\n";

export async function runCerts(argv: readonly string[], io: CertsIo): Promise<number> {
  if (argv.length > 1 || argv.some((arg) => arg.startsWith("-"))) {
    io.stderr.write(USAGE);
    return USAGE_ERROR;
  }
  const env = io.env ?? process.env;
  const dir = argv[0] ?? env.WSS_GATEWAY_CONFIG ?? "policies";
  let config: GatewayConfig;
  try {
    config = loadConfig(dir, { env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) io.stdout.write(`${formatConfigProblem(problem)}\n`);
    io.stderr.write(`${dir}: invalid configuration (${error.problems.length} problem${error.problems.length === 1 ? "" : "s"}); run wss-gateway check-config ${dir}\n`);
    return 1;
  }

  const now = (io.clock ?? systemClock).now();
  const inventory = certificateInventory(config);
  io.stdout.write(`${dir}: ${inventory.length} certificate${inventory.length === 1 ? "" : "s"}\n`);
  for (const entry of inventory) {
    const expiry = expiryOf(entry, now);
    io.stdout.write(describeEntry(entry, expiry));
    if (expiry.kind !== "valid") io.stderr.write(`WARN ${entry.relativePath}: ${expiry.text} (${usedBy(entry)})\n`);
  }
  return 0;
}

type Expiry =
  | { readonly kind: "valid"; readonly text: string }
  | { readonly kind: "expiring"; readonly text: string }
  | { readonly kind: "expired"; readonly text: string };

function expiryOf(entry: InventoryEntry, now: Date): Expiry {
  const leftMs = entry.certificate.notAfter.getTime() - now.getTime();
  const notAfter = isoSeconds(entry.certificate.notAfter);
  if (leftMs <= 0) {
    const days = Math.floor(-leftMs / DAY_MS);
    return { kind: "expired", text: `expired ${days} day${days === 1 ? "" : "s"} ago, on ${notAfter}` };
  }
  const days = Math.floor(leftMs / DAY_MS);
  const text = `expires in ${days} day${days === 1 ? "" : "s"}, on ${notAfter}`;
  return days < EXPIRY_WARNING_DAYS ? { kind: "expiring", text } : { kind: "valid", text };
}

function describeEntry(entry: InventoryEntry, expiry: Expiry): string {
  const certificate = entry.certificate;
  const marker = expiry.kind === "valid" ? "" : `  WARN ${expiry.kind === "expired" ? "expired" : `expires within ${EXPIRY_WARNING_DAYS} days`}`;
  return [
    "",
    entry.relativePath,
    `  used by:     ${usedBy(entry)}`,
    `  subject:     ${certificate.subject}`,
    `  issuer:      ${certificate.issuer}`,
    `  sha256:      ${certificate.fingerprintSha256}`,
    `  not before:  ${isoSeconds(certificate.notBefore)}`,
    `  not after:   ${isoSeconds(certificate.notAfter)} (${expiry.text.replace(/, on .*$/, "")})${marker}`,
    "",
  ].join("\n");
}

function usedBy(entry: InventoryEntry): string {
  return entry.uses.length === 0 ? "nothing" : entry.uses.map(describeUse).join("; ");
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
