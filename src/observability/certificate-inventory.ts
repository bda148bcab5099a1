/**
 * Every certificate a configuration references and who uses it: a profile's
 * pinned certificate or CA certificate, or a user's client certificate.
 * Shared by /metrics (certificate expiry) and `wss-gateway certs`.
 */
import { relative } from "node:path";
import type { ConfiguredCertificate, GatewayConfig } from "../config/types.js";

export type CertificateUse =
  | { readonly kind: "profile-certificate"; readonly profile: string }
  | { readonly kind: "profile-ca"; readonly profile: string }
  | { readonly kind: "client-certificate"; readonly user: string };

export interface InventoryEntry {
  readonly certificate: ConfiguredCertificate;
  /** As written in the configuration: relative to the configuration directory. */
  readonly relativePath: string;
  readonly uses: readonly CertificateUse[];
}

/** One entry per certificate file, in path order; uses in configuration order. */
export function certificateInventory(config: GatewayConfig): InventoryEntry[] {
  const uses = new Map<string, CertificateUse[]>();
  const add = (path: string, use: CertificateUse) => uses.set(path, [...(uses.get(path) ?? []), use]);
  for (const profile of config.profiles) {
    if (profile.kind !== "x509") continue;
    for (const pinned of profile.certificates) add(pinned.path, { kind: "profile-certificate", profile: profile.name });
    for (const ca of profile.caCertificates) add(ca.path, { kind: "profile-ca", profile: profile.name });
  }
  // Users keep fingerprints only: every file holding a mapped certificate is that user's.
  for (const user of config.users.values()) {
    for (const certificate of config.certificates.values()) {
      if (user.clientCertificateFingerprints.includes(certificate.fingerprintSha256)) {
        add(certificate.path, { kind: "client-certificate", user: user.userName });
      }
    }
  }
  return [...config.certificates.values()]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((certificate) => ({ certificate, relativePath: relative(config.dir, certificate.path), uses: uses.get(certificate.path) ?? [] }));
}

export function describeUse(use: CertificateUse): string {
  switch (use.kind) {
    case "profile-certificate":
      return `profile "${use.profile}" (certificate)`;
    case "profile-ca":
      return `profile "${use.profile}" (CA certificate)`;
    case "client-certificate":
      return `user ${use.user} (client certificate)`;
    default: {
      const unreachable: never = use;
      return unreachable;
    }
  }
}
