/**
 * Reminders to renew certificates (SPEC §2 `certificate_expiry_warning_days`):
 * every certificate the gateway relies on — pinned signer certificates, CA
 * certificates, users' client certificates and the TLS server certificate —
 * that expires within the window (or has expired) is logged as a warning at
 * start, after each reload and once a day. The same dates are exported as
 * `wss_gateway_certificate_not_after_timestamp_seconds` (src/observability/metrics.ts).
 */
import type { Logger } from "pino";
import type { ConfiguredCertificate, GatewayConfig } from "../config/types.js";
import { certificateInventory, describeUse } from "./certificate-inventory.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ExpiringCertificate {
  readonly certificate: string;
  readonly usedBy: string;
  readonly notAfter: string;
  /** Whole days left; negative once expired. */
  readonly daysLeft: number;
  readonly fingerprint: string;
}

/** The certificates of `config` (and the TLS certificate) expiring within the configured window at `now`. */
export function expiringCertificates(config: GatewayConfig, tls: ConfiguredCertificate | undefined, now: Date): ExpiringCertificate[] {
  const windowMs = config.gateway.certificateExpiryWarningDays * DAY_MS;
  const entries = certificateInventory(config).map((entry) => ({
    certificate: entry.certificate,
    name: entry.relativePath,
    usedBy: entry.uses.length === 0 ? "nothing" : entry.uses.map(describeUse).join("; "),
  }));
  if (tls !== undefined) entries.push({ certificate: tls, name: tls.path, usedBy: "TLS server certificate (--tls-cert)" });
  return entries
    .filter((entry) => entry.certificate.notAfter.getTime() - now.getTime() <= windowMs)
    .map((entry) => {
      const leftMs = entry.certificate.notAfter.getTime() - now.getTime();
      return {
        certificate: entry.name,
        usedBy: entry.usedBy,
        notAfter: entry.certificate.notAfter.toISOString(),
        daysLeft: leftMs >= 0 ? Math.floor(leftMs / DAY_MS) : -Math.ceil(-leftMs / DAY_MS),
        fingerprint: entry.certificate.fingerprintSha256,
      };
    });
}

/** Logs one warning per expiring certificate; returns how many. */
export function logExpiringCertificates(
  logger: Logger,
  config: GatewayConfig,
  tls: ConfiguredCertificate | undefined,
  now: Date,
  trigger: "start" | "reload" | "daily",
): number {
  const expiring = expiringCertificates(config, tls, now);
  const days = config.gateway.certificateExpiryWarningDays;
  for (const entry of expiring) {
    const message = entry.daysLeft < 0 ? "certificate has expired: renew it" : `certificate expires within ${days} days: renew it`;
    logger.warn({ trigger, ...entry }, message);
  }
  return expiring.length;
}
