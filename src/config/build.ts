/**
 * Turns the schema-valid files into the GatewayConfig object: camelCase
 * fields, resolved secrets, parsed certificates (each path once), profiles
 * sorted by order. Everything that cannot be resolved is reported to the
 * sink; the caller discards the result when anything was reported.
 */
import { resolve } from "node:path";
import { isScryptHash, parseScryptHash } from "../auth/password.js";
import { CertificateError, parseCertificateFile } from "../certs/certificate.js";
import { buildDigestToken, buildOutboundPolicies } from "./build-outbound.js";
import { profileDirections } from "./directions.js";
import { parseCidr } from "./cidr.js";
import { FrozenMap } from "./freeze.js";
import type { ProblemSink } from "./problems.js";
import type { ConfigDirectory, ConfigFileKey, ProfileEntry, SecretSource, UserEntry } from "./schema.js";
import { resolveSecret, type SecretContext } from "./secrets.js";
import type {
  AclRule,
  ColumnDef,
  ConfiguredCertificate,
  GatewayConfig,
  GatewaySettings,
  PasswordCredential,
  SecurityPolicy,
  TableDef,
  UserAccount,
  WssProfile,
} from "./types.js";
import type { ConfigPath } from "./yaml-source.js";

export interface BuildContext extends SecretContext {
  readonly sink: ProblemSink;
  /** Line of an ACL rule in acls.yaml, for AclRule.source. */
  readonly aclLine: (index: number) => number;
  /** For the warning on certificates expiring within certificate_expiry_warning_days. */
  readonly now: Date;
}

export function buildConfig(files: ConfigDirectory, context: BuildContext): GatewayConfig {
  const certificates = new CertificateCache(context);
  const directions = profileDirections(files.profiles, files.policies);
  const profiles = files.profiles.profiles
    .map((entry, index) => ({ entry, index }))
    // A profile only outbound policies use is never evaluated on an inbound request.
    .filter(({ entry }) => directions.get(entry.name)?.has("inbound") ?? true)
    .map(({ entry, index }) => buildProfile(entry, ["profiles", index], context, certificates))
    .filter((p): p is WssProfile => p !== undefined)
    .sort((a, b) => a.order - b.order);
  const users = files.users.users.map((entry, index) => buildUser(entry, ["users", index], context, certificates));
  const config: GatewayConfig = {
    dir: context.dir,
    gateway: buildGatewaySettings(files.gateway),
    profiles,
    policies: files.policies.policies.map(
      (p): SecurityPolicy => ({
        name: p.name,
        type: p.type,
        requireSigned: p.require_signed,
        authenticate: p.authenticate,
        profiles: p.profiles,
        requireTimestamp: p.require_timestamp,
      }),
    ),
    users: new FrozenMap(users.map((u) => [u.userName, u])),
    acls: files.acls.acls.map(
      (rule, index): AclRule => ({
        table: rule.table,
        field: rule.field,
        operation: rule.operation,
        roles: rule.roles,
        active: rule.active,
        source: `acls.yaml:${context.aclLine(index)}`,
      }),
    ),
    tables: new FrozenMap(files.tables.tables.map((t) => [t.name, buildTable(t)])),
    digestToken: buildDigestToken(files.gateway, context),
    outboundPolicies: buildOutboundPolicies(files, context, certificates),
    certificates: new FrozenMap(certificates.all()),
  };
  certificates.warnExpiring(files.gateway.certificate_expiry_warning_days);
  return config;
}

function buildGatewaySettings(gateway: ConfigDirectory["gateway"]): GatewaySettings {
  const { basic_auth, ws_security, limits, throttle } = gateway;
  return {
    basicAuth: { required: basic_auth.required, realm: basic_auth.realm },
    wsSecurity: {
      required: ws_security.required,
      defaultPolicy: ws_security.default_policy,
      timestampTtlSeconds: ws_security.timestamp_ttl_seconds,
      clockSkewSeconds: ws_security.clock_skew_seconds,
      allowSha1: ws_security.allow_sha1,
      minRsaKeyBits: ws_security.min_rsa_key_bits,
      shadowPolicy: ws_security.shadow_policy ?? undefined,
    },
    strictSecurity: gateway.strict_security,
    wsdlRequiresSoapRole: gateway.wsdl_requires_soap_role,
    wsdlRoles: gateway.wsdl_roles,
    trustedProxies: gateway.trusted_proxies.map((text) => parseCidr(text)!),
    publicUrl: gateway.public_url === null ? null : gateway.public_url.replace(/\/+$/, ""),
    certificateExpiryWarningDays: gateway.certificate_expiry_warning_days,
    debug: gateway.debug,
    limits: {
      maxBodyBytes: limits.max_body_bytes,
      maxConcurrentRequests: limits.max_concurrent_requests,
      maxInflightBodyBytes: limits.max_inflight_body_bytes,
      maxXmlDepth: limits.max_xml_depth,
      maxXmlElements: limits.max_xml_elements,
      maxAttributesPerElement: limits.max_attributes_per_element,
      maxSignatureReferences: limits.max_signature_references,
    },
    throttle: {
      maxFailures: throttle.max_failures,
      windowSeconds: throttle.window_seconds,
      cooldownSeconds: throttle.cooldown_seconds,
    },
  };
}

function buildProfile(
  entry: ProfileEntry,
  path: ConfigPath,
  context: BuildContext,
  certificates: CertificateCache,
): WssProfile | undefined {
  const common = { name: entry.name, active: entry.active, order: entry.order, bindSession: entry.bind_session };
  if (entry.type === "x509") {
    const pinned = pinnedCertificates(entry, path, context, certificates);
    const caCertificates = entry.ca_certificates.map((file, index) =>
      certificates.get(file, "profiles", [...path, "ca_certificates", index]),
    );
    // Without run_as_user (reported by src/config/directions.ts) the profile is not built.
    if (entry.run_as_user === undefined || pinned === undefined || caCertificates.some((c) => c === undefined)) return undefined;
    return {
      ...common,
      kind: "x509",
      runAsUser: entry.run_as_user,
      certificates: pinned,
      caCertificates: caCertificates as ConfiguredCertificate[],
      checkValidity: entry.check_validity,
    };
  }
  if (entry.action === "authenticate_with_user") {
    return { ...common, kind: "username", action: entry.action, userField: entry.user_field };
  }
  if (entry.run_as_user === undefined) return undefined; // reported by src/config/directions.ts
  const password = resolveReportedSecret(entry.password, "profiles", [...path, "password"], context);
  if (password === undefined) return undefined;
  if (isScryptHash(password)) {
    context.sink.report(
      "profiles",
      [...path, "password"],
      "a specify_user password must be recoverable (literal, env or file), not a $scrypt$ hash",
    );
    return undefined;
  }
  return { ...common, kind: "username", action: entry.action, username: entry.username, password, runAsUser: entry.run_as_user };
}

/** `certificate: F` or `certificates: [F, …]` (a rotation; the schema allows exactly one of them); every file is parsed and reported. */
function pinnedCertificates(
  entry: ProfileEntry & { type: "x509" },
  path: ConfigPath,
  context: BuildContext,
  certificates: CertificateCache,
): ConfiguredCertificate[] | undefined {
  const parsed =
    entry.certificates === undefined
      ? [certificates.get(entry.certificate ?? "", "profiles", [...path, "certificate"])]
      : entry.certificates.map((file, index) => certificates.get(file, "profiles", [...path, "certificates", index]));
  return parsed.every((c) => c !== undefined) ? (parsed as ConfiguredCertificate[]) : undefined;
}

function buildUser(entry: UserEntry, path: ConfigPath, context: BuildContext, certificates: CertificateCache): UserAccount {
  const fingerprints = entry.client_certificates.map(
    (file, index) => certificates.get(file, "users", [...path, "client_certificates", index])?.fingerprintSha256,
  );
  return {
    userName: entry.user_name,
    email: entry.email,
    password: buildPasswordCredential(entry.password, [...path, "password"], context),
    roles: entry.roles,
    internalIntegrationUser: entry.internal_integration_user,
    active: entry.active,
    clientCertificateFingerprints: fingerprints.filter((f): f is string => f !== undefined),
  };
}

function buildPasswordCredential(source: SecretSource | undefined, path: ConfigPath, context: BuildContext): PasswordCredential {
  if (source === undefined) return { kind: "none" };
  const value = resolveReportedSecret(source, "users", path, context);
  if (value === undefined) return { kind: "none" };
  if (!isScryptHash(value)) return { kind: "recoverable", value };
  if (parseScryptHash(value) === undefined) {
    context.sink.report("users", path, "malformed $scrypt$ hash (expected the output of wss-gateway hash-password)");
    return { kind: "none" };
  }
  return { kind: "scrypt-hash", hash: value };
}

export function resolveReportedSecret(
  source: SecretSource,
  file: ConfigFileKey,
  path: ConfigPath,
  context: BuildContext,
): string | undefined {
  const secret = resolveSecret(source, context);
  if (secret.kind === "resolved") return secret.value;
  context.sink.report(file, path, secret.message);
  return undefined;
}

function buildTable(entry: ConfigDirectory["tables"]["tables"][number]): TableDef {
  const columns = Object.entries(entry.columns).map(
    ([name, column]): [string, ColumnDef] => [name, { name, type: column.type, maxLength: column.max_length }],
  );
  return { name: entry.name, columns: new FrozenMap(columns) };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Parses each referenced certificate file once; every reference to a bad file is reported. */
export class CertificateCache {
  readonly #parsed = new Map<string, ConfiguredCertificate | CertificateError>();
  readonly #references: { file: ConfigFileKey; path: ConfigPath; name: string; certificate: ConfiguredCertificate }[] = [];
  constructor(private readonly context: BuildContext) {}

  /** A warning at each reference to a certificate that expires within `days` (or has expired). */
  warnExpiring(days: number): void {
    const now = this.context.now.getTime();
    for (const { file, path, name, certificate } of this.#references) {
      const leftMs = certificate.notAfter.getTime() - now;
      if (leftMs > days * DAY_MS) continue;
      const notAfter = certificate.notAfter.toISOString().replace(/\.\d{3}Z$/, "Z");
      const when = leftMs <= 0 ? `has expired (not after ${notAfter})` : `expires in ${Math.floor(leftMs / DAY_MS)} day(s), on ${notAfter}`;
      this.context.sink.warn(file, path, `${name} ${when}; within certificate_expiry_warning_days (${days})`);
    }
  }

  get(file: string, configFile: ConfigFileKey, path: ConfigPath): ConfiguredCertificate | undefined {
    const absolutePath = resolve(this.context.dir, file);
    let result = this.#parsed.get(absolutePath);
    if (result === undefined) {
      result = parseOrError(absolutePath);
      this.#parsed.set(absolutePath, result);
    }
    if (result instanceof CertificateError) {
      this.context.sink.report(configFile, path, `${file}: ${result.message}`);
      return undefined;
    }
    this.#references.push({ file: configFile, path, name: file, certificate: result });
    return result;
  }

  all(): [string, ConfiguredCertificate][] {
    return [...this.#parsed].filter((entry): entry is [string, ConfiguredCertificate] => !(entry[1] instanceof CertificateError));
  }
}

function parseOrError(absolutePath: string): ConfiguredCertificate | CertificateError {
  try {
    return parseCertificateFile(absolutePath);
  } catch (error) {
    if (error instanceof CertificateError) return error;
    throw error;
  }
}
