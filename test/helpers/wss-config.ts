/**
 * Fixtures for the WS-Security engine tests: a configuration loaded by the
 * real loader from a temporary directory, the request parsed the way the
 * gateway parses it, and decideWsSecurity called directly.
 *
 *   const config = wssConfig({ profiles: x509Profile("Partner certificate", "certs/partner.pem"),
 *                              policies: policy(["Partner certificate"]) }, { "certs/partner.pem": partner.certPem });
 *   const decision = await decide(config, signedXml, { clock });
 *   assert.equal(faultStringOf(decision), "Unable to verify signed request");
 */
import { ManualClock, type Clock } from "../../src/clock.js";
import { loadConfig } from "../../src/config/load.js";
import type { GatewayConfig, UserAccount } from "../../src/config/types.js";
import { MemoryReplayCache } from "../../src/replay/memory.js";
import type { ReplayCache } from "../../src/replay/types.js";
import { reservingReplayGuard, type ReplayGuard } from "../../src/replay/guard.js";
import { readEnvelope, type SoapEnvelope } from "../../src/soap/envelope.js";
import { FAULTS } from "../../src/soap/faults.js";
import { decideWsSecurity } from "../../src/wss/engine.js";
import type { WssDecision } from "../../src/wss/types.js";
import { xmlParser } from "../../src/xml/parse.js";
import { makeConfigDir } from "./config-dir.js";

export const SOAP11_ENVELOPE = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inc="http://www.service-now.com/incident"><soapenv:Header/><soapenv:Body><inc:insert><short_description>printer on fire</short_description><priority>1</priority></inc:insert></soapenv:Body></soapenv:Envelope>`;

export const SOAP12_ENVELOPE = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Header/><env:Body><inc:insert xmlns:inc="http://www.service-now.com/incident"><short_description>printer on fire</short_description></inc:insert></env:Body></env:Envelope>`;

export interface GatewayOptions {
  readonly required?: boolean;
  readonly defaultPolicy?: string;
  readonly allowSha1?: boolean;
  readonly minRsaKeyBits?: number;
  readonly ttlSeconds?: number;
  readonly skewSeconds?: number;
}

export function gatewayYaml(options: GatewayOptions = {}): string {
  return `basic_auth:
  required: true
  realm: wss-gateway
ws_security:
  required: ${options.required ?? true}
  default_policy: ${JSON.stringify(options.defaultPolicy ?? "Default Security Policy")}
  timestamp_ttl_seconds: ${options.ttlSeconds ?? 300}
  clock_skew_seconds: ${options.skewSeconds ?? 60}
  allow_sha1: ${options.allowSha1 ?? false}
  min_rsa_key_bits: ${options.minRsaKeyBits ?? 2048}
strict_security: false
`;
}

export function x509ProfileYaml(
  name: string,
  certificate: string,
  options: { order?: number; runAs?: string; caCertificates?: string[]; checkValidity?: boolean; bindSession?: boolean; active?: boolean } = {},
): string {
  return `  - name: ${JSON.stringify(name)}
    type: x509
    active: ${options.active ?? true}
    order: ${options.order ?? 100}
    bind_session: ${options.bindSession ?? true}
    run_as_user: ${options.runAs ?? "alice"}
    certificate: ${certificate}
    ca_certificates: ${JSON.stringify(options.caCertificates ?? [])}
    check_validity: ${options.checkValidity ?? true}
`;
}

export function usernameProfileYaml(
  name: string,
  options:
    | { action: "authenticate_with_user"; userField?: "user_name" | "email"; order?: number; bindSession?: boolean }
    | { action: "specify_user"; username: string; password: string; runAs: string; order?: number; bindSession?: boolean },
): string {
  const common = `  - name: ${JSON.stringify(name)}
    type: username
    active: true
    order: ${options.order ?? 200}
    bind_session: ${options.bindSession ?? true}
    action: ${options.action}
`;
  if (options.action === "authenticate_with_user") return `${common}    user_field: ${options.userField ?? "user_name"}\n`;
  return `${common}    username: ${options.username}\n    password: ${options.password}\n    run_as_user: ${options.runAs}\n`;
}

export function policyYaml(
  profiles: string[],
  options: { name?: string; type?: "inbound" | "outbound"; requireSigned?: boolean; authenticate?: "all" | "at_least_one"; requireTimestamp?: boolean } = {},
): string {
  // require_signed, authenticate and require_timestamp belong to inbound policies only (SPEC §2).
  const requireTimestamp = options.requireTimestamp === undefined ? "" : `    require_timestamp: ${options.requireTimestamp}\n`;
  const inbound = options.type === "outbound" ? "" : `    require_signed: ${options.requireSigned ?? true}\n    authenticate: ${options.authenticate ?? "all"}\n${requireTimestamp}`;
  return `  - name: ${JSON.stringify(options.name ?? "Default Security Policy")}
    type: ${options.type ?? "inbound"}
${inbound}    profiles: ${JSON.stringify(profiles)}
`;
}

/** Users for UsernameToken tests: a recoverable password, a scrypt hash (of "carol-password"), an inactive user. */
export const WSS_USERS_YAML = `users:
  - user_name: alice
    email: alice@example.test
    password: alice-password
    roles: [soap]
  - user_name: carol
    email: carol@example.test
    password: "$scrypt$ln=10,r=8,p=1$KuPLoGNHm5Yqjitxl35ZYw==$LGwqVgx5Ge8rFqJlLOiBnPWyHoYm4TLol77QlMBBLaQ="
    roles: [soap]
  - user_name: dave
    password: dave-password
    roles: [soap]
    active: false
  - user_name: partner.soap
    password: partner-password
    roles: [soap]
  - user_name: integration
    password: integration-password
    roles: [soap]
    internal_integration_user: true
`;

export interface WssConfigFiles {
  readonly gateway?: GatewayOptions;
  /** Profile list items (x509ProfileYaml / usernameProfileYaml). */
  readonly profiles?: string[];
  /** Policy list items (policyYaml). */
  readonly policies?: string[];
}

export function wssConfig(files: WssConfigFiles, extra: Record<string, string | Buffer> = {}): GatewayConfig {
  const profiles = files.profiles && files.profiles.length > 0 ? `profiles:\n${files.profiles.join("")}` : "profiles: []\n";
  const policies = files.policies && files.policies.length > 0 ? `policies:\n${files.policies.join("")}` : "policies: []\n";
  const dir = makeConfigDir({ gateway: gatewayYaml(files.gateway), profiles, policies, users: WSS_USERS_YAML }, extra);
  return loadConfig(dir);
}

export function parseRequest(xml: string): SoapEnvelope {
  const parsed = xmlParser.parse(xml, { maxXmlDepth: 128, maxXmlElements: 100_000, maxAttributesPerElement: 64 });
  if (parsed.kind !== "parsed") throw new Error(`test request does not parse: ${parsed.reason}`);
  const envelope = readEnvelope(parsed.document);
  if (envelope.kind !== "envelope") throw new Error(`test request is not an envelope: ${envelope.reason}`);
  return envelope.envelope;
}

export interface DecideOptions {
  readonly clock?: Clock;
  /** The cache claimed through a reserving guard that is never settled (every claim stays, as for executed requests). */
  readonly replayCache?: ReplayCache;
  /** Or the guard itself (e.g. a check-only one). */
  readonly replay?: ReplayGuard;
  readonly basicUser?: UserAccount;
  readonly onDigest?: (referenceId: string) => void;
}

export function decide(config: GatewayConfig, xml: string, options: DecideOptions = {}): Promise<WssDecision> {
  const clock = options.clock ?? new ManualClock();
  return decideWsSecurity({
    config,
    envelope: parseRequest(xml),
    basicUser: options.basicUser,
    clock,
    replay: options.replay ?? reservingReplayGuard(options.replayCache ?? new MemoryReplayCache(clock)),
    onDigest: options.onDigest,
  });
}

/** The SOAP faultstring of a refused decision; "admitted" / "bypassed" otherwise. */
export function outcomeOf(decision: WssDecision): string {
  return decision.kind === "refused" ? FAULTS[decision.fault].string : decision.kind;
}
