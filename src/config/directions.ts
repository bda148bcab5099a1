/**
 * Inbound and outbound (SPEC §2): a policy's `type` says its direction, and a
 * profile takes the direction of the policies that list it (a profile no
 * policy lists is inbound: with no policies, every active profile is
 * evaluated on inbound requests). A field that belongs to the other
 * direction is an error at its own line, so a key is never silently
 * ignored. The check reads the files as written (a default the schema
 * filled in is not a field the admin set).
 */
import type { ProblemSink } from "./problems.js";
import type { ConfigDirectory } from "./schema.js";

export type Direction = "inbound" | "outbound";

const INBOUND_POLICY_FIELDS = ["require_signed", "authenticate", "require_timestamp"] as const;
const OUTBOUND_POLICY_FIELDS = ["timestamp_seconds", "basic_auth", "tls_client_certificate", "tls_client_key", "tls_ca_certificates"] as const;
const INBOUND_PROFILE_FIELDS = ["run_as_user", "bind_session", "ca_certificates", "check_validity", "user_field"] as const;
const OUTBOUND_PROFILE_FIELDS = ["private_key", "key_reference", "signature_algorithm", "digest"] as const;

/** The directions each profile is used in, by profile name. */
export function profileDirections(
  profiles: ConfigDirectory["profiles"],
  policies: ConfigDirectory["policies"],
): ReadonlyMap<string, ReadonlySet<Direction>> {
  const directions = new Map<string, Set<Direction>>(profiles.profiles.map((p) => [p.name, new Set<Direction>()]));
  for (const policy of policies.policies) {
    for (const name of policy.profiles) directions.get(name)?.add(policy.type);
  }
  for (const used of directions.values()) if (used.size === 0) used.add("inbound");
  return directions;
}

export function checkDirections(
  raw: { readonly profiles: unknown; readonly policies: unknown },
  files: Partial<ConfigDirectory>,
  sink: ProblemSink,
): void {
  const { profiles, policies } = files;
  if (policies) {
    policies.policies.forEach((policy, index) => {
      const written = keysAt(raw.policies, "policies", index);
      const foreign = policy.type === "outbound" ? INBOUND_POLICY_FIELDS : OUTBOUND_POLICY_FIELDS;
      for (const field of foreign) {
        if (written.has(field)) sink.report("policies", ["policies", index, field], `belongs to ${other(policy.type)} policies only (this policy is ${policy.type})`);
      }
      if (policy.type === "outbound" && written.has("tls_client_certificate") !== written.has("tls_client_key")) {
        const [missing, given] = written.has("tls_client_key") ? ["tls_client_certificate", "tls_client_key"] : ["tls_client_key", "tls_client_certificate"];
        sink.report("policies", ["policies", index, missing], `required with ${given}`);
      }
    });
  }
  if (profiles && policies) checkProfiles(raw.profiles, profiles, policies, sink);
  else checkRunAsUserWritten(raw.profiles, policies, sink);
}

function checkProfiles(
  raw: unknown,
  profiles: ConfigDirectory["profiles"],
  policies: ConfigDirectory["policies"],
  sink: ProblemSink,
): void {
  const directions = profileDirections(profiles, policies);
  const typeOf = new Map(profiles.profiles.map((p) => [p.name, p.type]));
  policies.policies.forEach((policy, index) => {
    if (policy.type !== "outbound") return;
    for (const type of ["x509", "username"] as const) {
      const listed = policy.profiles.filter((name) => typeOf.get(name) === type);
      if (listed.length > 1) sink.report("policies", ["policies", index, "profiles"], `an outbound policy applies at most one ${type} profile (got ${listed.join(", ")})`);
    }
  });
  const where = (direction: Direction) => `the profile is used by ${direction === "outbound" ? "an outbound policy" : "inbound requests"}`;
  profiles.profiles.forEach((profile, index) => {
    const used = directions.get(profile.name) ?? new Set<Direction>(["inbound"]);
    const written = keysAt(raw, "profiles", index);
    // A profile used in both directions needs the fields of both: only a one-direction profile has foreign fields.
    const onlyOne = used.size === 1;
    if (used.has("outbound")) {
      if (onlyOne) for (const field of INBOUND_PROFILE_FIELDS) {
        if (written.has(field)) sink.report("profiles", ["profiles", index, field], `belongs to inbound profiles only (${where("outbound")})`);
      }
      if (profile.type === "x509" && profile.private_key === undefined) {
        sink.report("profiles", ["profiles", index, "private_key"], `required field is missing (${where("outbound")}, which signs with it)`);
      }
      if (profile.type === "username" && profile.action !== "specify_user") {
        sink.report("profiles", ["profiles", index, "action"], `must be specify_user (${where("outbound")})`);
      }
    }
    if (used.has("inbound") && onlyOne) {
      for (const field of OUTBOUND_PROFILE_FIELDS) {
        if (written.has(field)) sink.report("profiles", ["profiles", index, field], `belongs to outbound profiles only (${where("inbound")})`);
      }
    }
  });
  checkRunAsUserWritten(raw, policies, sink);
}

/**
 * An inbound x509 or specify_user profile names its run-as user. Read from the file as written,
 * so that it is reported even when another field of the file fails the schema.
 */
function checkRunAsUserWritten(raw: unknown, policies: ConfigDirectory["policies"] | undefined, sink: ProblemSink): void {
  const list = (raw as Record<string, unknown> | null | undefined)?.["profiles"];
  if (!Array.isArray(list)) return;
  const outboundOnly = new Set<string>();
  if (policies) {
    const inbound = new Set(policies.policies.filter((p) => p.type === "inbound").flatMap((p) => p.profiles));
    for (const p of policies.policies) if (p.type === "outbound") for (const name of p.profiles) if (!inbound.has(name)) outboundOnly.add(name);
  }
  list.forEach((entry: unknown, index) => {
    if (entry === null || typeof entry !== "object") return;
    const fields = entry as Record<string, unknown>;
    const needsRunAs = fields["type"] === "x509" || (fields["type"] === "username" && fields["action"] === "specify_user");
    if (!needsRunAs || fields["run_as_user"] !== undefined) return;
    if (typeof fields["name"] === "string" && outboundOnly.has(fields["name"])) return;
    sink.report("profiles", ["profiles", index, "run_as_user"], "required field is missing");
  });
}

function other(direction: Direction): Direction {
  return direction === "inbound" ? "outbound" : "inbound";
}

/** The keys written in entry `index` of the list `listKey` of a file's raw data. */
function keysAt(data: unknown, listKey: string, index: number): ReadonlySet<string> {
  const list = (data as Record<string, unknown> | null | undefined)?.[listKey];
  const entry = Array.isArray(list) ? list[index] : undefined;
  return new Set(entry !== null && typeof entry === "object" ? Object.keys(entry) : []);
}
