/**
 * Which policy governs inbound requests, and which profiles it runs: the
 * policy named by `default_policy` (outbound → refused); with no policies at
 * all, every active profile under require_signed + authenticate all (and
 * require_timestamp). The
 * profiles are the policy's active ones in ascending `order`.
 */
import type { GatewayConfig, SecurityPolicy, WssProfile } from "../config/types.js";

export interface EffectivePolicy {
  readonly name: string | undefined;
  readonly requireSigned: boolean;
  readonly authenticate: "all" | "at_least_one";
  /** A signed request must carry a wsu:Timestamp in our Security header (the signature covers it whenever present). */
  readonly requireTimestamp: boolean;
  readonly profiles: readonly WssProfile[];
}

export type PolicyResult =
  | { readonly kind: "policy"; readonly policy: EffectivePolicy }
  | { readonly kind: "outbound"; readonly name: string }
  | { readonly kind: "unknown"; readonly name: string };

/** The key when the configuration defines no policies: then every name selects the same. */
const EVERY_NAME = Symbol("every policy name");
/** Answers per configuration and policy name (a loaded configuration is deep-frozen; a reload brings a new object). */
const selected = new WeakMap<GatewayConfig, Map<string | typeof EVERY_NAME, PolicyResult>>();

/** `name` defaults to `default_policy`; the shadow policy and `explain --policy` name another. */
export function selectPolicy(config: GatewayConfig, name: string = config.gateway.wsSecurity.defaultPolicy): PolicyResult {
  let byName = selected.get(config);
  if (!byName) selected.set(config, (byName = new Map()));
  const key = config.policies.length === 0 ? EVERY_NAME : name;
  let result = byName.get(key);
  if (result) return result;
  result = Object.freeze(resolvePolicy(config, name));
  // Only the configuration's own names are kept (an unknown name, e.g. typed into the admin console, is not).
  if (result.kind !== "unknown") byName.set(key, result);
  return result;
}

function resolvePolicy(config: GatewayConfig, name: string): PolicyResult {
  if (config.policies.length === 0) {
    return {
      kind: "policy",
      policy: Object.freeze({ name: undefined, requireSigned: true, authenticate: "all", requireTimestamp: true, profiles: Object.freeze(activeInOrder(config.profiles)) }),
    };
  }
  const policy = config.policies.find((candidate) => candidate.name === name);
  // The config loader refuses an unknown default_policy; kept here so that the engine fails closed on its own.
  if (!policy) return { kind: "unknown", name };
  if (policy.type === "outbound") return { kind: "outbound", name };
  return { kind: "policy", policy: effective(policy, config) };
}

function effective(policy: SecurityPolicy, config: GatewayConfig): EffectivePolicy {
  const named = config.profiles.filter((profile) => policy.profiles.includes(profile.name));
  return Object.freeze({
    name: policy.name,
    requireSigned: policy.requireSigned,
    authenticate: policy.authenticate,
    requireTimestamp: policy.requireTimestamp,
    profiles: Object.freeze(activeInOrder(named)),
  });
}

function activeInOrder(profiles: readonly WssProfile[]): WssProfile[] {
  return profiles.filter((profile) => profile.active).sort((a, b) => a.order - b.order);
}
