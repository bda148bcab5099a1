/**
 * The one schema of the configuration directory (SPEC §2), one entry per
 * YAML file. Objects are strict (unknown keys are errors) and every default
 * lives here and nowhere else. The parsed shapes keep the files' snake_case;
 * src/config/build.ts maps them onto the camelCase GatewayConfig.
 */
import { z } from "zod";
import { parseCidr } from "./cidr.js";

/** Table and column names become SQL identifiers, so only this shape is allowed. */
export const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

const positiveInt = z.int({ error: "must be an integer" }).positive({ error: "must be a positive integer" });
const nonNegativeInt = z.int({ error: "must be an integer" }).nonnegative({ error: "must be 0 or more" });
const nonEmptyString = z.string().min(1, { error: "must not be empty" });

/** An IPv4 or IPv6 address or CIDR block (`10.0.0.0/8`, `::1`), as `trusted_proxies` lists them. */
const cidrString = z.string().refine((value) => parseCidr(value) !== undefined, {
  error: "must be an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8",
});

/** An absolute http(s) URL without query or fragment: the base of the WSDL's soap:address. */
const publicUrlString = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && url.search === "" && url.hash === "" && url.username === "";
    } catch {
      return false;
    }
  },
  { error: "must be an absolute http:// or https:// URL without query, fragment or credentials, e.g. https://soap.example.com" },
);

/** A literal, `{env: NAME}` or `{file: PATH}` (resolved by src/config/secrets.ts). */
export const secretSchema = z.union(
  [
    z.string(),
    z.strictObject({ env: nonEmptyString }),
    z.strictObject({ file: nonEmptyString }),
  ],
  { error: "must be a string, {env: NAME} or {file: PATH}" },
);
export type SecretSource = z.infer<typeof secretSchema>;

/** A key never written inline: `{env: NAME}` or `{file: PATH}` only. */
const keySecretSchema = z.union([z.strictObject({ env: nonEmptyString }), z.strictObject({ file: nonEmptyString })], {
  error: "must be {env: NAME} or {file: PATH} (a key is never written inline)",
});

export const HMAC_ALGORITHMS = ["HmacSHA256", "HmacSHA1", "HmacSHA224", "HmacSHA384", "HmacSHA512", "HmacMD5"] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

/** SM_USER / DE_USER sign-on (docs/digest-token.md). */
const digestTokenSchema = z.strictObject({
  secret: secretSchema,
  user_header: nonEmptyString.default("SM_USER"),
  token_header: nonEmptyString.default("DE_USER"),
  user_field: z.enum(["user_name", "email"]).default("user_name"),
  algorithm: z.enum(HMAC_ALGORITHMS).default("HmacSHA256"),
  max_age_seconds: positiveInt.nullable().default(null),
});

export const gatewayFileSchema = z.strictObject({
  basic_auth: z
    .strictObject({
      required: z.boolean().default(true),
      realm: nonEmptyString.default("wss-gateway"),
    })
    .prefault({}),
  ws_security: z
    .strictObject({
      required: z.boolean().default(true),
      default_policy: nonEmptyString.default("Default Security Policy"),
      timestamp_ttl_seconds: positiveInt.default(300),
      clock_skew_seconds: nonNegativeInt.default(60),
      allow_sha1: z.boolean().default(false),
      min_rsa_key_bits: positiveInt.default(2048),
      shadow_policy: nonEmptyString.nullable().default(null),
    })
    .prefault({}),
  strict_security: z.boolean().default(true),
  wsdl_requires_soap_role: z.boolean().default(true),
  wsdl_roles: z.array(nonEmptyString).min(1, { error: "must name at least one role" }).default(["soap"]),
  trusted_proxies: z.array(cidrString).default([]),
  public_url: publicUrlString.nullable().default(null),
  certificate_expiry_warning_days: nonNegativeInt.default(30),
  debug: z.boolean().default(false),
  digest_token: digestTokenSchema.nullable().default(null),
  limits: z
    .strictObject({
      max_body_bytes: positiveInt.default(4194304),
      max_concurrent_requests: positiveInt.default(256),
      max_inflight_body_bytes: positiveInt.default(67108864),
      max_xml_depth: positiveInt.default(128),
      max_xml_elements: positiveInt.default(100000),
      max_attributes_per_element: positiveInt.default(64),
      max_signature_references: positiveInt.default(30),
    })
    .prefault({}),
  throttle: z
    .strictObject({
      max_failures: positiveInt.default(20),
      window_seconds: positiveInt.default(60),
      cooldown_seconds: positiveInt.default(60),
    })
    .prefault({}),
});

export const OUTBOUND_KEY_REFERENCES = ["bst", "issuer_serial", "ski", "thumbprint", "x509_data"] as const;
export type OutboundKeyReference = (typeof OUTBOUND_KEY_REFERENCES)[number];
export const OUTBOUND_SIGNATURE_ALGORITHMS = [
  "rsa-sha256",
  "rsa-sha384",
  "rsa-sha512",
  "ecdsa-sha256",
  "ecdsa-sha384",
  "ecdsa-sha512",
] as const;
export type OutboundSignatureAlgorithm = (typeof OUTBOUND_SIGNATURE_ALGORITHMS)[number];

const profileCommon = {
  name: nonEmptyString,
  active: z.boolean().default(true),
  order: nonNegativeInt.default(100),
  bind_session: z.boolean().default(false),
};

const x509ProfileSchema = z.strictObject({
  ...profileCommon,
  type: z.literal("x509"),
  /** Required when the profile is used inbound (src/config/directions.ts). */
  run_as_user: nonEmptyString.optional(),
  /** The pinned signer certificate; or `certificates` (several, any one verifies) during a rotation. */
  certificate: nonEmptyString.optional(),
  certificates: z.array(nonEmptyString).min(1, { error: "must list at least one certificate" }).optional(),
  ca_certificates: z.array(nonEmptyString).default([]),
  check_validity: z.boolean().default(true),
  // Outbound only (src/config/directions.ts): the signer's key and how the signature names it.
  private_key: keySecretSchema.optional(),
  key_reference: z.enum(OUTBOUND_KEY_REFERENCES).default("bst"),
  signature_algorithm: z.enum(OUTBOUND_SIGNATURE_ALGORITHMS).optional(),
}).superRefine((profile, ctx) => {
  // Runs even when other fields failed, so a missing certificate is listed with them.
  if (profile === null || typeof profile !== "object") return;
  if (profile.certificate !== undefined && profile.certificates !== undefined) {
    ctx.addIssue({ code: "custom", path: ["certificates"], message: "give either certificate or certificates, not both" });
  } else if (profile.certificate === undefined && profile.certificates === undefined) {
    ctx.addIssue({ code: "custom", path: ["certificate"], message: "required field is missing (or certificates: [old.pem, new.pem] during a rotation)" });
  }
}, { when: () => true });

const authenticateWithUserProfileSchema = z.strictObject({
  ...profileCommon,
  type: z.literal("username"),
  action: z.literal("authenticate_with_user"),
  user_field: z.enum(["user_name", "email"]),
});

const specifyUserProfileSchema = z.strictObject({
  ...profileCommon,
  type: z.literal("username"),
  action: z.literal("specify_user"),
  username: nonEmptyString,
  password: secretSchema,
  /** Required when the profile is used inbound (src/config/directions.ts). */
  run_as_user: nonEmptyString.optional(),
  /** Outbound only: send the password as a PasswordDigest. */
  digest: z.boolean().default(false),
});

const profileSchema = z.discriminatedUnion("type", [
  x509ProfileSchema,
  z.discriminatedUnion("action", [authenticateWithUserProfileSchema, specifyUserProfileSchema]),
]);
export type ProfileEntry = z.infer<typeof profileSchema>;

export const profilesFileSchema = z.strictObject({
  profiles: z.array(profileSchema).nullable().transform((v) => v ?? []).default([]),
});

const policySchema = z.strictObject({
  name: nonEmptyString,
  type: z.enum(["inbound", "outbound"]),
  require_signed: z.boolean().default(true),
  authenticate: z.enum(["all", "at_least_one"]).default("all"),
  profiles: z.array(nonEmptyString).default([]),
  // Outbound only (src/config/directions.ts): how `wss-gateway call` secures a request.
  timestamp_seconds: positiveInt.optional(),
  basic_auth: z.strictObject({ user: nonEmptyString, password: secretSchema }).optional(),
  tls_client_certificate: nonEmptyString.optional(),
  tls_client_key: keySecretSchema.optional(),
  tls_ca_certificates: z.array(nonEmptyString).optional(),
  require_timestamp: z.boolean().default(true),
});
export type PolicyEntry = z.infer<typeof policySchema>;

export const policiesFileSchema = z.strictObject({
  policies: z.array(policySchema).nullable().transform((v) => v ?? []).default([]),
});

const userSchema = z.strictObject({
  user_name: nonEmptyString,
  email: nonEmptyString.optional(),
  password: secretSchema.optional(),
  roles: z.array(nonEmptyString).default([]),
  internal_integration_user: z.boolean().default(false),
  active: z.boolean().default(true),
  client_certificates: z.array(nonEmptyString).default([]),
});
export type UserEntry = z.infer<typeof userSchema>;

export const usersFileSchema = z.strictObject({
  users: z.array(userSchema).nullable().transform((v) => v ?? []).default([]),
});

const aclSchema = z.strictObject({
  table: nonEmptyString,
  field: nonEmptyString.optional(),
  operation: z.enum(["read", "create", "write", "delete"]),
  roles: z.array(nonEmptyString).default([]),
  active: z.boolean().default(true),
});
export type AclEntry = z.infer<typeof aclSchema>;

export const aclsFileSchema = z.strictObject({
  acls: z.array(aclSchema).nullable().transform((v) => v ?? []).default([]),
});

const columnSchema = z
  .strictObject({
    type: z.enum(["string", "integer", "decimal", "boolean", "datetime"]),
    max_length: positiveInt.optional(),
  })
  .superRefine((column, ctx) => {
    if (column.max_length !== undefined && column.type !== "string") {
      ctx.addIssue({ code: "custom", path: ["max_length"], message: "max_length is only allowed on string columns" });
    }
  });

const tableSchema = z.strictObject({
  name: nonEmptyString,
  columns: z.record(z.string(), columnSchema),
});
export type TableEntry = z.infer<typeof tableSchema>;

export const tablesFileSchema = z.strictObject({
  tables: z.array(tableSchema),
});

/** The whole configuration directory: one schema, one entry per file. */
export const configDirectorySchema = z.strictObject({
  gateway: gatewayFileSchema,
  profiles: profilesFileSchema,
  policies: policiesFileSchema,
  users: usersFileSchema,
  acls: aclsFileSchema,
  tables: tablesFileSchema,
});
export type ConfigDirectory = z.infer<typeof configDirectorySchema>;
export type ConfigFileKey = keyof ConfigDirectory;

export const CONFIG_FILES: readonly ConfigFileKey[] = ["gateway", "profiles", "policies", "users", "acls", "tables"];
/** Files that must exist; the others, when absent, mean an empty list. */
export const REQUIRED_CONFIG_FILES: ReadonlySet<ConfigFileKey> = new Set(["gateway", "tables"]);

export function configFileName(key: ConfigFileKey): string {
  return `${key}.yaml`;
}
