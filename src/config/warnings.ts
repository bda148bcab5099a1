/**
 * Settings that are valid but weak or misleading (SPEC §2, "Warnings of
 * check-config"): reported as `file:line: field: warning: message`, never
 * failing the check. They read the files' data as written, so they are found
 * even when another part of the same file has a problem. Also: the
 * certificate paths of a file that failed the schema, so that one run lists
 * a missing certificate file together with the file's other problems.
 */
import { resolve } from "node:path";
import { CertificateError, parseCertificateFile } from "../certs/certificate.js";
import type { ProblemSink } from "./problems.js";
import type { ConfigFileKey } from "./schema.js";
import type { ConfigPath } from "./yaml-source.js";

const RECOMMENDED_MIN_RSA_KEY_BITS = 2048;

type Data = Record<string, unknown>;

function mapping(value: unknown): Data | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Data) : undefined;
}

function entries(file: unknown, key: string): [Data, number][] {
  const list = mapping(file)?.[key];
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, index) => {
    const entry = mapping(item);
    return entry === undefined ? [] : [[entry, index] as [Data, number]];
  });
}

export function warnAboutSettings(raw: Partial<Record<ConfigFileKey, unknown>>, sink: ProblemSink): void {
  const wsSecurity = mapping(mapping(raw.gateway)?.ws_security);
  if (wsSecurity?.allow_sha1 === true) {
    sink.warn("gateway", ["ws_security", "allow_sha1"], "SHA-1 digests and signatures are accepted; SHA-1 is broken for collisions, ask partners for SHA-256");
  }
  const minBits = wsSecurity?.min_rsa_key_bits;
  if (typeof minBits === "number" && minBits < RECOMMENDED_MIN_RSA_KEY_BITS) {
    sink.warn("gateway", ["ws_security", "min_rsa_key_bits"], `RSA keys of ${minBits} bits are accepted; below ${RECOMMENDED_MIN_RSA_KEY_BITS} bits is considered breakable`);
  }
  for (const [policy, index] of entries(raw.policies, "policies")) {
    if (policy.require_timestamp === false) {
      sink.warn(
        "policies",
        ["policies", index, "require_timestamp"],
        "a signed message without a Timestamp is admitted, and can be replayed once its replay entry has expired",
      );
    }
  }
  for (const [profile, index] of entries(raw.profiles, "profiles")) {
    if (typeof profile.run_as_user === "string" && profile.bind_session !== true && profile.action !== "authenticate_with_user") {
      sink.warn(
        "profiles",
        ["profiles", index, "run_as_user"],
        `run_as_user ${profile.run_as_user} is not applied without bind_session: true; requests run as the Basic-authenticated user`,
      );
    }
  }
}

interface CertificatePathContext {
  readonly dir: string;
  readonly sink: ProblemSink;
}

/** The certificate files named in a file that failed the schema: each must exist and hold one certificate. */
export function checkCertificatePaths(key: ConfigFileKey, data: unknown, context: CertificatePathContext): void {
  const check = (value: unknown, path: ConfigPath) => {
    if (typeof value !== "string" || value === "") return;
    try {
      parseCertificateFile(resolve(context.dir, value));
    } catch (error) {
      if (!(error instanceof CertificateError)) throw error;
      context.sink.report(key, path, `${value}: ${error.message}`);
    }
  };
  const checkList = (value: unknown, path: ConfigPath) => {
    if (Array.isArray(value)) value.forEach((item, index) => check(item, [...path, index]));
  };
  if (key === "profiles") {
    for (const [profile, index] of entries(data, "profiles")) {
      check(profile.certificate, ["profiles", index, "certificate"]);
      checkList(profile.certificates, ["profiles", index, "certificates"]);
      checkList(profile.ca_certificates, ["profiles", index, "ca_certificates"]);
    }
  } else if (key === "users") {
    for (const [user, index] of entries(data, "users")) checkList(user.client_certificates, ["users", index, "client_certificates"]);
  }
}
