/**
 * The outbound half of the configuration (SPEC §2): `type: outbound`
 * policies resolved for `wss-gateway call` (signer keys, UsernameToken and
 * Basic passwords, the mutual-TLS client key and CAs), and the digest-token
 * sign-on settings of gateway.yaml. Keys and passwords are read here, once;
 * problems name the file, the field and the source, never the secret.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import type { CertificateCache, BuildContext } from "./build.js";
import { resolveReportedSecret } from "./build.js";
import { FrozenMap } from "./freeze.js";
import type { ConfigDirectory, OutboundSignatureAlgorithm, ProfileEntry, SecretSource } from "./schema.js";
import type { ConfiguredCertificate, DigestTokenSettings, OutboundPolicy, OutboundProfile } from "./types.js";
import type { ConfigPath } from "./yaml-source.js";

export function buildDigestToken(gateway: ConfigDirectory["gateway"], context: BuildContext): DigestTokenSettings | undefined {
  const entry = gateway.digest_token;
  if (entry === null) return undefined;
  const secret = resolveReportedSecret(entry.secret, "gateway", ["digest_token", "secret"], context);
  if (secret === undefined) return undefined;
  return {
    secret,
    userHeader: entry.user_header,
    tokenHeader: entry.token_header,
    userField: entry.user_field,
    algorithm: entry.algorithm,
    maxAgeSeconds: entry.max_age_seconds ?? undefined,
  };
}

export function buildOutboundPolicies(
  files: ConfigDirectory,
  context: BuildContext,
  certificates: CertificateCache,
): ReadonlyMap<string, OutboundPolicy> {
  const profileIndex = new Map(files.profiles.profiles.map((entry, index) => [entry.name, index]));
  const built = new Map<string, OutboundProfile | undefined>();
  const profileNamed = (name: string): OutboundProfile | undefined => {
    const index = profileIndex.get(name);
    if (index === undefined) return undefined; // reported by src/config/references.ts (or profiles.yaml failed)
    if (!built.has(name)) {
      built.set(name, buildOutboundProfile(files.profiles.profiles[index]!, ["profiles", index], context, certificates));
    }
    return built.get(name);
  };
  const policies: [string, OutboundPolicy][] = [];
  files.policies.policies.forEach((entry, index) => {
    if (entry.type !== "outbound") return;
    const path: ConfigPath = ["policies", index];
    const profiles = entry.profiles.map(profileNamed);
    const basicPassword =
      entry.basic_auth === undefined ? undefined : resolveReportedSecret(entry.basic_auth.password, "policies", [...path, "basic_auth", "password"], context);
    const tlsClient = buildTlsClient(entry, path, context, certificates);
    const tlsCaCertificates = (entry.tls_ca_certificates ?? []).map((file, i) =>
      certificates.get(file, "policies", [...path, "tls_ca_certificates", i]),
    );
    if (profiles.some((p) => p === undefined) || tlsCaCertificates.some((c) => c === undefined)) return;
    if (entry.basic_auth !== undefined && basicPassword === undefined) return;
    if (tlsClient === "invalid") return;
    policies.push([
      entry.name,
      {
        name: entry.name,
        profiles: profiles as OutboundProfile[],
        timestampSeconds: entry.timestamp_seconds,
        basicAuth: entry.basic_auth === undefined ? undefined : { user: entry.basic_auth.user, password: basicPassword! },
        tlsClient,
        tlsCaCertificates: tlsCaCertificates as ConfiguredCertificate[],
      },
    ]);
  });
  return new FrozenMap(policies);
}

function buildOutboundProfile(
  entry: ProfileEntry,
  path: ConfigPath,
  context: BuildContext,
  certificates: CertificateCache,
): OutboundProfile | undefined {
  if (entry.type === "x509") {
    if (entry.certificate === undefined) {
      context.sink.report("profiles", [...path, "certificates"], "an outbound profile signs with one certificate: give certificate, not certificates");
      return undefined;
    }
    const certificate = certificates.get(entry.certificate, "profiles", [...path, "certificate"]);
    const privateKey = entry.private_key === undefined ? undefined : readPrivateKey(entry.private_key, "profiles", [...path, "private_key"], context);
    if (certificate === undefined || privateKey === undefined) return undefined;
    if (!certificate.x509.checkPrivateKey(privateKey)) {
      context.sink.report("profiles", [...path, "private_key"], `is not the key of ${entry.certificate}`);
      return undefined;
    }
    const signatureAlgorithm = signatureAlgorithmFor(privateKey, entry.signature_algorithm);
    if (signatureAlgorithm === undefined) {
      context.sink.report("profiles", [...path, "signature_algorithm"], `${entry.signature_algorithm} does not fit the ${privateKey.asymmetricKeyType} key`);
      return undefined;
    }
    return { kind: "x509", name: entry.name, certificate, privateKey, keyReference: entry.key_reference, signatureAlgorithm };
  }
  if (entry.action !== "specify_user") return undefined; // reported by src/config/directions.ts
  const password = resolveReportedSecret(entry.password, "profiles", [...path, "password"], context);
  if (password === undefined) return undefined;
  return { kind: "username", name: entry.name, username: entry.username, password, digest: entry.digest };
}

/** The configured algorithm, or the key's family with SHA-256; undefined when they do not fit. */
function signatureAlgorithmFor(key: KeyObject, configured: OutboundSignatureAlgorithm | undefined): OutboundSignatureAlgorithm | undefined {
  const family = key.asymmetricKeyType === "rsa" ? "rsa" : key.asymmetricKeyType === "ec" ? "ecdsa" : undefined;
  if (family === undefined) return undefined;
  if (configured === undefined) return `${family}-sha256`;
  return configured.startsWith(`${family}-`) ? configured : undefined;
}

function buildTlsClient(
  entry: ConfigDirectory["policies"]["policies"][number],
  path: ConfigPath,
  context: BuildContext,
  certificates: CertificateCache,
): OutboundPolicy["tlsClient"] | "invalid" {
  if (entry.tls_client_certificate === undefined || entry.tls_client_key === undefined) return undefined;
  const certificate = certificates.get(entry.tls_client_certificate, "policies", [...path, "tls_client_certificate"]);
  const key = readPrivateKey(entry.tls_client_key, "policies", [...path, "tls_client_key"], context);
  if (certificate === undefined || key === undefined) return "invalid";
  if (!certificate.x509.checkPrivateKey(key)) {
    context.sink.report("policies", [...path, "tls_client_key"], `is not the key of ${entry.tls_client_certificate}`);
    return "invalid";
  }
  return { certificate, key };
}

function readPrivateKey(
  source: SecretSource,
  file: "profiles" | "policies",
  path: ConfigPath,
  context: BuildContext,
): KeyObject | undefined {
  const pem = resolveReportedSecret(source, file, path, context);
  if (pem === undefined) return undefined;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "ec") return key;
    context.sink.report(file, path, `unsupported key type ${key.asymmetricKeyType ?? "unknown"}: use an RSA or EC key`);
  } catch {
    context.sink.report(file, path, "is not a PEM private key (encrypted keys are not supported)");
  }
  return undefined;
}
