/**
 * The validated, deep-frozen configuration object. It is produced only by
 * `loadConfig()` (src/config/load.ts) from the YAML files of SPEC §2 and is
 * never mutated; a reload builds a new one and swaps the reference.
 */
import type { KeyObject, X509Certificate } from "node:crypto";
import type { HmacAlgorithm, OutboundKeyReference, OutboundSignatureAlgorithm } from "./schema.js";

export type { HmacAlgorithm, OutboundKeyReference, OutboundSignatureAlgorithm };
import type { Cidr } from "./cidr.js";

export interface GatewayConfig {
  /** Absolute path of the configuration directory. */
  readonly dir: string;
  readonly gateway: GatewaySettings;
  /** Sorted by ascending `order`. */
  readonly profiles: readonly WssProfile[];
  readonly policies: readonly SecurityPolicy[];
  /** Keyed by `user_name`. */
  readonly users: ReadonlyMap<string, UserAccount>;
  readonly acls: readonly AclRule[];
  /** Keyed by table name. */
  readonly tables: ReadonlyMap<string, TableDef>;
  /** Every certificate the configuration references, keyed by absolute path, parsed once. */
  readonly certificates: ReadonlyMap<string, ConfiguredCertificate>;
  /** `digest_token:` of gateway.yaml (SM_USER / DE_USER sign-on), when configured. */
  readonly digestToken: DigestTokenSettings | undefined;
  /** The `type: outbound` policies, resolved for `wss-gateway call`, keyed by name. */
  readonly outboundPolicies: ReadonlyMap<string, OutboundPolicy>;
}

/** Digest-token sign-on (docs/digest-token.md). */
export interface DigestTokenSettings {
  /** Resolved secret: the HMAC key. */
  readonly secret: string;
  /** Header (or query parameter) holding the user, default SM_USER. */
  readonly userHeader: string;
  /** Header (or query parameter) holding Base64(HMAC), default DE_USER. */
  readonly tokenHeader: string;
  readonly userField: UserField;
  readonly algorithm: HmacAlgorithm;
  /** When set, a DE_TIME (Unix seconds) is required, covered by the HMAC, and at most this old. */
  readonly maxAgeSeconds: number | undefined;
}

/** An x509 profile as `call` uses it: signs Body and Timestamp with the signer's key. */
export interface OutboundX509Profile {
  readonly kind: "x509";
  readonly name: string;
  readonly certificate: ConfiguredCertificate;
  readonly privateKey: KeyObject;
  readonly keyReference: OutboundKeyReference;
  readonly signatureAlgorithm: OutboundSignatureAlgorithm;
}

/** A username profile as `call` uses it: adds a UsernameToken. */
export interface OutboundUsernameProfile {
  readonly kind: "username";
  readonly name: string;
  readonly username: string;
  /** Resolved secret. */
  readonly password: string;
  readonly digest: boolean;
}

export type OutboundProfile = OutboundX509Profile | OutboundUsernameProfile;

export interface OutboundPolicy {
  readonly name: string;
  /** Applied in the order the policy lists them. */
  readonly profiles: readonly OutboundProfile[];
  /** Lifetime of the signed wsu:Timestamp to add, when set. */
  readonly timestampSeconds: number | undefined;
  readonly basicAuth: { readonly user: string; readonly password: string } | undefined;
  /** Outbound mutual TLS: the client certificate and its key. */
  readonly tlsClient: { readonly certificate: ConfiguredCertificate; readonly key: KeyObject } | undefined;
  /** CAs the remote server's certificate must chain to; empty = the system's. */
  readonly tlsCaCertificates: readonly ConfiguredCertificate[];
}

export interface GatewaySettings {
  readonly basicAuth: { readonly required: boolean; readonly realm: string };
  readonly wsSecurity: {
    readonly required: boolean;
    readonly defaultPolicy: string;
    readonly timestampTtlSeconds: number;
    readonly clockSkewSeconds: number;
    readonly allowSha1: boolean;
    readonly minRsaKeyBits: number;
    /** Report-only inbound policy evaluated beside the enforced decision (src/wss/shadow.ts); undefined when none. */
    readonly shadowPolicy: string | undefined;
  };
  readonly strictSecurity: boolean;
  readonly wsdlRequiresSoapRole: boolean;
  /** Any one of them may read WSDL/XSD when `wsdlRequiresSoapRole` (default `[soap]`). */
  readonly wsdlRoles: readonly string[];
  /** Peers whose X-Forwarded-For/-Proto/-Host are believed (src/http/forwarded.ts). */
  readonly trustedProxies: readonly Cidr[];
  /** The WSDL's address base (`https://soap.example.com`), without a trailing slash; null = from the request. */
  readonly publicUrl: string | null;
  readonly certificateExpiryWarningDays: number;
  readonly debug: boolean;
  readonly limits: {
    readonly maxBodyBytes: number;
    /** Requests being processed at once (SPEC §2); beyond: 503 + Retry-After before the body is read. */
    readonly maxConcurrentRequests: number;
    /** Body bytes of all requests being read or processed, by Content-Length (or bytes read when chunked). */
    readonly maxInflightBodyBytes: number;
    readonly maxXmlDepth: number;
    readonly maxXmlElements: number;
    readonly maxAttributesPerElement: number;
    /** References in one SignedInfo. */
    readonly maxSignatureReferences: number;
  };
  readonly throttle: {
    readonly maxFailures: number;
    readonly windowSeconds: number;
    readonly cooldownSeconds: number;
  };
}

interface ProfileCommon {
  readonly name: string;
  readonly active: boolean;
  readonly order: number;
  readonly bindSession: boolean;
}

export interface X509Profile extends ProfileCommon {
  readonly kind: "x509";
  readonly runAsUser: string;
  /** The pinned signer certificates, in configuration order: one, or several during a rotation (any one verifies). */
  readonly certificates: readonly ConfiguredCertificate[];
  readonly caCertificates: readonly ConfiguredCertificate[];
  readonly checkValidity: boolean;
}

export type UserField = "user_name" | "email";

export interface AuthenticateWithUserProfile extends ProfileCommon {
  readonly kind: "username";
  readonly action: "authenticate_with_user";
  /** users.yaml field matched against `<wsse:Username>`. */
  readonly userField: UserField;
}

export interface SpecifyUserProfile extends ProfileCommon {
  readonly kind: "username";
  readonly action: "specify_user";
  readonly username: string;
  /** Resolved secret (literal, env or file). */
  readonly password: string;
  readonly runAsUser: string;
}

export type UsernameProfile = AuthenticateWithUserProfile | SpecifyUserProfile;
export type WssProfile = X509Profile | UsernameProfile;

export interface SecurityPolicy {
  readonly name: string;
  readonly type: "inbound" | "outbound";
  readonly requireSigned: boolean;
  readonly authenticate: "all" | "at_least_one";
  /** Profile names, as written; all of them exist in `GatewayConfig.profiles`. */
  readonly profiles: readonly string[];
  /** A signed request must carry a signed wsu:Timestamp in our Security header. */
  readonly requireTimestamp: boolean;
}

/** How a user's password is known to the gateway. */
export type PasswordCredential =
  /** `$scrypt$…` produced by `wss-gateway hash-password`: verifiable, not recoverable. */
  | { readonly kind: "scrypt-hash"; readonly hash: string }
  /** A literal, `{env}` or `{file}` secret: recoverable, so PasswordDigest can be checked. */
  | { readonly kind: "recoverable"; readonly value: string }
  /** No password: the user cannot log in with one. */
  | { readonly kind: "none" };

export interface UserAccount {
  readonly userName: string;
  readonly email: string | undefined;
  readonly password: PasswordCredential;
  readonly roles: readonly string[];
  readonly internalIntegrationUser: boolean;
  readonly active: boolean;
  /** SHA-256 fingerprints (lowercase hex, no colons) of client certificates mapped to this user. */
  readonly clientCertificateFingerprints: readonly string[];
}

export type AclOperation = "read" | "create" | "write" | "delete";

export interface AclRule {
  readonly table: string; // a table name or "*"
  /** Undefined for the record (row) rule; a column name or "*" for a field rule. */
  readonly field: string | undefined;
  readonly operation: AclOperation;
  /** Any one passes; empty = any known user. */
  readonly roles: readonly string[];
  readonly active: boolean;
  /** `acls.yaml:LINE`, so a decision can name the rule that made it. */
  readonly source: string;
}

export type ColumnType = "string" | "integer" | "decimal" | "boolean" | "datetime";

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  /** Only for `string`. */
  readonly maxLength: number | undefined;
}

export interface TableDef {
  readonly name: string;
  /** The configured columns, in file order (system columns are not included). */
  readonly columns: ReadonlyMap<string, ColumnDef>;
}

export const SYSTEM_COLUMNS = [
  "sys_id",
  "sys_created_on",
  "sys_created_by",
  "sys_updated_on",
  "sys_updated_by",
] as const;
export type SystemColumn = (typeof SYSTEM_COLUMNS)[number];

/** The system columns every table has (SPEC §2), typed like configured columns. */
export const SYSTEM_COLUMN_DEFS: readonly ColumnDef[] = [
  { name: "sys_id", type: "string", maxLength: 32 },
  { name: "sys_created_on", type: "datetime", maxLength: undefined },
  { name: "sys_created_by", type: "string", maxLength: undefined },
  { name: "sys_updated_on", type: "datetime", maxLength: undefined },
  { name: "sys_updated_by", type: "string", maxLength: undefined },
];

/** A certificate from the configuration directory, parsed once when the configuration loads. */
export interface ConfiguredCertificate {
  /** Absolute path. */
  readonly path: string;
  readonly x509: X509Certificate;
  readonly publicKey: KeyObject;
  /** DER bytes of the certificate. */
  readonly der: Buffer;
  /** The DER in base64 without line breaks: a token that carries exactly this text is this certificate (no decoding needed). */
  readonly derBase64: string;
  /** SHA-256 of the DER, lowercase hex without colons. */
  readonly fingerprintSha256: string;
  /** SHA-1 of the DER (the WSS X.509 Thumbprint reference). */
  readonly thumbprintSha1: Buffer;
  /** The subjectKeyIdentifier extension value, if present. */
  readonly subjectKeyIdentifier: Buffer | undefined;
  /** Issuer distinguished name as printed by node (RFC 2253-ish, one attribute per line joined). */
  readonly issuer: string;
  /** Serial number as a decimal string (the form in ds:X509IssuerSerial). */
  readonly serialNumberDecimal: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** "rsa" | "ec" | … as reported by KeyObject.asymmetricKeyType. */
  readonly keyType: string;
  /** RSA modulus length in bits, or the EC curve size. */
  readonly keyBits: number;
}

/** A configuration problem, printed as `file:line: field: message`. */
export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly message: string;
  /** A warning (a weak or misleading setting) does not make the configuration invalid. */
  readonly severity?: "warning";
}

/** `file:line: field: message`, or `file:line: field: warning: message`. */
export function formatConfigProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}: ${p.field}: ${p.severity === "warning" ? "warning: " : ""}${p.message}`;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration:\n${problems.map(formatConfigProblem).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}
