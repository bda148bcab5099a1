/**
 * Inbound mutual TLS: the SHA-256 fingerprint of the client certificate that
 * the TLS layer verified against `--tls-client-ca`, and the user it maps to
 * (`client_certificates:` in users.yaml). An unverified certificate is never
 * looked at.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { GatewayConfig, UserAccount } from "../config/types.js";

export function verifiedClientCertificateFingerprint(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const certificate = socket.getPeerCertificate();
  if (!certificate?.raw) return undefined;
  return createHash("sha256").update(certificate.raw).digest("hex");
}

export function userOfClientCertificate(config: GatewayConfig, fingerprint: string): UserAccount | undefined {
  for (const user of config.users.values()) {
    if (user.clientCertificateFingerprints.includes(fingerprint)) return user;
  }
  return undefined;
}
