/**
 * Validator: may this configured certificate vouch for a request right now?
 * Validity period (when `check_validity`), RSA key size (`min_rsa_key_bits`)
 * and, when the profile lists `ca_certificates`, issuance by one of them
 * (issuer name and the issuer's signature over the certificate). Failing
 * any of these is a certificate that does not authenticate: the profile
 * fails with "Failed to authenticate WS-Security".
 */
import type { Clock } from "../../clock.js";
import type { ConfiguredCertificate, X509Profile } from "../../config/types.js";

export type TrustResult = { readonly kind: "trusted" } | { readonly kind: "untrusted"; readonly reason: string };

/** `certificate` is one of the profile's pinned certificates. */
export function checkCertificateTrust(profile: X509Profile, certificate: ConfiguredCertificate, minRsaKeyBits: number, clock: Clock): TrustResult {
  const now = clock.now();
  if (profile.checkValidity) {
    const validity = checkValidityPeriod(certificate, now);
    if (validity) return { kind: "untrusted", reason: validity };
  }
  if (certificate.keyType === "rsa" && certificate.keyBits < minRsaKeyBits) {
    return { kind: "untrusted", reason: `RSA key of ${certificate.keyBits} bits is below min_rsa_key_bits ${minRsaKeyBits}` };
  }
  if (profile.caCertificates.length > 0) {
    const issuer = profile.caCertificates.find((ca) => isIssuedBy(certificate, ca));
    if (!issuer) return { kind: "untrusted", reason: "certificate is not issued by any configured CA certificate" };
    if (profile.checkValidity) {
      const caValidity = checkValidityPeriod(issuer, now);
      if (caValidity) return { kind: "untrusted", reason: `issuing CA: ${caValidity}` };
    }
  }
  return { kind: "trusted" };
}

function checkValidityPeriod(certificate: ConfiguredCertificate, now: Date): string | undefined {
  if (now.getTime() < certificate.notBefore.getTime()) return "certificate is not yet valid";
  if (now.getTime() > certificate.notAfter.getTime()) return "certificate has expired";
  return undefined;
}

function isIssuedBy(certificate: ConfiguredCertificate, ca: ConfiguredCertificate): boolean {
  try {
    return certificate.x509.checkIssued(ca.x509) && certificate.x509.verify(ca.publicKey);
  } catch {
    return false;
  }
}
