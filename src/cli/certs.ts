/**
 * `wss-gateway certs [DIR] [--expiring-within DAYS]`: lists every certificate
 * the configuration in DIR (default $WSS_GATEWAY_CONFIG, else `policies`)
 * references — profiles' certificates and CA certificates, users' client
 * certificates — with who uses it, subject, issuer, serial (hex), key type
 * and size, SHA-256 fingerprint, SHA-1 thumbprint, SKI, validity and days
 * left. A certificate expiring within the window (DAYS, else the
 * configuration's certificate_expiry_warning_days), or expired, is flagged
 * WARN on stdout and repeated on stderr. Exits 0, or 1 when
 * `--expiring-within` is given and a certificate is inside it (for cron and
 * monitoring) or when the configuration is invalid (every
 * `file:line: field: message` printed), 2 on bad arguments.
 */
import { systemClock, type Clock } from "../clock.js";
import { loadConfig } from "../config/load.js";
import { parseArgs } from "node:util";
import { ConfigError, formatConfigProblem, type ConfiguredCertificate, type GatewayConfig } from "../config/types.js";
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

const DAY_MS = 24 * 60 * 60 * 1000;
export const CERTS_USAGE = `usage: wss-gateway certs [DIR] [--expiring-within DAYS]

Lists the certificates that the configuration in DIR (default $WSS_GATEWAY_CONFIG,
else policies/) uses: who uses each, subject, issuer, serial (hex), key type and size,
SHA-256 fingerprint, SHA-1 thumbprint, subject key identifier, validity.
Certificates expiring within certificate_expiry_warning_days (or DAYS) are flagged WARN.

  --expiring-within DAYS   exit 1 when any certificate expires within DAYS (or has expired)
`;

export async function runCerts(argv: readonly string[], io: CertsIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { "expiring-within": { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`certs: ${(error as Error).message}\n${CERTS_USAGE}`);
    return USAGE_ERROR;
  }
  if (parsed.values.help) {
    io.stdout.write(CERTS_USAGE);
    return 0;
  }
  if (parsed.positionals.length > 1) {
    io.stderr.write(`certs: give at most one directory\n${CERTS_USAGE}`);
    return USAGE_ERROR;
  }
  const within = parsed.values["expiring-within"];
  if (within !== undefined && !/^\d{1,5}$/.test(within)) {
    io.stderr.write(`certs: --expiring-within: expected a whole number of days, got ${within}\n${CERTS_USAGE}`);
    return USAGE_ERROR;
  }
  const env = io.env ?? process.env;
  const dir = parsed.positionals[0] ?? env.WSS_GATEWAY_CONFIG ?? "policies";
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
  const windowDays = within === undefined ? config.gateway.certificateExpiryWarningDays : Number(within);
  const inventory = certificateInventory(config);
  io.stdout.write(`${dir}: ${inventory.length} certificate${inventory.length === 1 ? "" : "s"}\n`);
  let inside = 0;
  for (const entry of inventory) {
    const expiry = expiryOf(entry, now, windowDays);
    io.stdout.write(describeEntry(entry, expiry, windowDays));
    if (expiry.kind !== "valid") {
      inside += 1;
      io.stderr.write(`WARN ${entry.relativePath}: ${expiry.text} (${usedBy(entry)})\n`);
    }
  }
  if (within !== undefined && inside > 0) {
    io.stderr.write(`${dir}: ${inside} certificate${inside === 1 ? "" : "s"} expire${inside === 1 ? "s" : ""} within ${windowDays} days or expired\n`);
    return 1;
  }
  return 0;
}

type Expiry =
  | { readonly kind: "valid"; readonly text: string }
  | { readonly kind: "expiring"; readonly text: string }
  | { readonly kind: "expired"; readonly text: string };

function expiryOf(entry: InventoryEntry, now: Date, windowDays: number): Expiry {
  const leftMs = entry.certificate.notAfter.getTime() - now.getTime();
  const notAfter = isoSeconds(entry.certificate.notAfter);
  if (leftMs <= 0) {
    const days = Math.floor(-leftMs / DAY_MS);
    return { kind: "expired", text: `expired ${days} day${days === 1 ? "" : "s"} ago, on ${notAfter}` };
  }
  const days = Math.floor(leftMs / DAY_MS);
  const text = `expires in ${days} day${days === 1 ? "" : "s"}, on ${notAfter}`;
  return leftMs <= windowDays * DAY_MS ? { kind: "expiring", text } : { kind: "valid", text };
}

function describeEntry(entry: InventoryEntry, expiry: Expiry, windowDays: number): string {
  const certificate = entry.certificate;
  const marker = expiry.kind === "valid" ? "" : `  WARN ${expiry.kind === "expired" ? "expired" : `expires within ${windowDays} days`}`;
  return [
    "",
    entry.relativePath,
    `  used by:     ${usedBy(entry)}`,
    `  subject:     ${certificate.subject}`,
    `  issuer:      ${certificate.issuer}`,
    `  serial:      ${certificate.x509.serialNumber.toLowerCase()}`,
    `  key:         ${describeKey(certificate)}`,
    `  sha256:      ${certificate.fingerprintSha256}`,
    `  sha1:        ${certificate.thumbprintSha1.toString("hex")}`,
    `  ski:         ${certificate.subjectKeyIdentifier?.toString("hex") ?? "(none)"}`,
    `  not before:  ${isoSeconds(certificate.notBefore)}`,
    `  not after:   ${isoSeconds(certificate.notAfter)} (${expiry.text.replace(/, on .*$/, "")})${marker}`,
    "",
  ].join("\n");
}

/** `RSA 2048 bits`, `EC P-256 (256 bits)`. */
function describeKey(certificate: ConfiguredCertificate): string {
  const curve = certificate.publicKey.asymmetricKeyDetails?.namedCurve;
  const type = certificate.keyType.toUpperCase();
  return curve === undefined ? `${type} ${certificate.keyBits} bits` : `${type} ${curve} (${certificate.keyBits} bits)`;
}

function usedBy(entry: InventoryEntry): string {
  return entry.uses.length === 0 ? "nothing" : entry.uses.map(describeUse).join("; ");
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
