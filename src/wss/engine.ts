/**
 * The WS-Security decision of SPEC §5, as a function of the parsed request:
 *
 *   internal integration user, or ws_security.required false
 *     → bypassed, unless a present signature fails (see below)
 *   policy (outbound → refused) → our Security header (two → refused)
 *   → one Signature at most → require_signed → active profiles
 *   → Timestamp window → the signature's structure: References (at most
 *     max_signature_references) resolved, a signed wsu:Timestamp only as our
 *     header's, Body and our Timestamp covered; require_timestamp
 *   → profiles in order (all: first failure stops; at_least_one: all run,
 *     and when none passes a replay among them is reported as the replay)
 *   → a present signature that no profile verified must verify with a
 *     configured certificate anyway
 *
 * "A signature that is present is always verified, required or not": its
 * structure and coverage are checked before any profile runs, and its
 * SignatureValue must verify with a configured (pinned) certificate —
 * through an x509 profile of the policy, or else through any active x509
 * profile of the configuration. This also holds when ws_security.required is
 * false. Cost: no Reference is digested before the SignatureValue verified
 * with a configured certificate (a junk signature costs one public-key
 * operation per candidate certificate), and each signed element is digested
 * once. A digest mismatch refuses the whole request, whatever the mode.
 * Everything computed from the message is computed once per request (the id
 * map, canonical SignedInfo, the key reference, each certificate's
 * verification, the digests, each replay claim) and shared by the profiles.
 *
 * Replay: signatures and nonces are claimed through `input.replay` (see
 * src/replay/guard.ts); a cache that cannot answer refuses the request with
 * the 503 fault `Service temporarily unavailable`.
 */
import { basename } from "node:path";
import type { ConfiguredCertificate, UsernameProfile, X509Profile } from "../config/types.js";
import type { FaultId } from "../soap/faults.js";
import { selectPolicy, type EffectivePolicy } from "./policy.js";
import { readSignature, canonicalSignedInfo, verifySignatureValue, type ParsedSignature } from "./processors/signature.js";
import { readTimestamp, type Timestamp } from "./processors/timestamp.js";
import { readUsernameToken, type UsernameTokenResult } from "./processors/username-token.js";
import { runAsText } from "./run-as.js";
import { matchCertificate, readKeyReference, type KeyReference } from "./rules/key-reference.js";
import { checkReplay, nonceReplayKey, replayEntryExpiry, signedContentReplayKey, type ReplayCheck } from "./rules/replay.js";
import { checkSignedElements, resolveReferences, verifyDigests, type DigestVerification, type ResolvedReference } from "./rules/signed-elements.js";
import { checkReplayEpoch } from "./rules/replay-epoch.js";
import { collectIds } from "./rules/unique-ids.js";
import { findSecurityHeader, type SecurityHeader } from "./security-header.js";
import type { ProfileOutcome, WssDecision, WssInput } from "./types.js";

type BypassReason = Extract<WssDecision, { kind: "bypassed" }>["reason"];
import { checkCertificateTrust } from "./validators/signature-trust.js";
import { checkFreshness } from "./validators/timestamp.js";
import { validateUsernameToken } from "./validators/username-token.js";

export async function decideWsSecurity(input: WssInput): Promise<WssDecision> {
  if (input.basicUser?.internalIntegrationUser) return decideWithoutPolicy(input, "internal-integration-user");
  if (!input.config.gateway.wsSecurity.required) return decideWithoutPolicy(input, "not-required");
  return decideUnderPolicy(input);
}

/**
 * The decision under one named policy, whoever the basic user is and
 * whether or not ws_security.required: the report-only shadow policy
 * (src/wss/shadow.ts) and `explain --policy`.
 */
export function decideUnderNamedPolicy(input: WssInput, policyName: string): Promise<WssDecision> {
  return decideUnderPolicy(input, policyName);
}

/** A refusal before or outside the profiles. */
interface Refusal {
  readonly kind: "refusal";
  readonly fault: FaultId;
  readonly reason: string;
  readonly credentialFailure: boolean;
}

/** What the Security header holds, read and checked once per request. */
interface MessageSecurity {
  readonly header: SecurityHeader | undefined;
  readonly timestamp: Timestamp | undefined;
  readonly signature: SignatureState | undefined;
}

interface SignatureState {
  readonly parsed: ParsedSignature;
  readonly references: readonly ResolvedReference[];
  /** Canonical SignedInfo as UTF-8: the bytes the SignatureValue signs. */
  readonly canonicalSignedInfo: Buffer;
  readonly keyReference: KeyReference;
  /** Per-request memo: each configured certificate is tried at most once. */
  readonly verifiedWith: Map<ConfiguredCertificate, boolean>;
  /** Per-request memo: the digests, computed once, after the SignatureValue verified. */
  digests: DigestVerification | undefined;
}

/** Per-request state shared by the profiles. Never kept beyond one call. */
interface RequestContext {
  readonly input: WssInput;
  readonly message: MessageSecurity;
  readonly steps: string[];
  readonly replayChecks: Map<string, Promise<ReplayCheck>>;
  usernameToken: UsernameTokenResult | undefined;
  /** A failure of the message itself (a digest mismatch, the replay cache down): it refuses the request in any mode. */
  fatal: Refusal | undefined;
}

async function decideUnderPolicy(input: WssInput, policyName?: string): Promise<WssDecision> {
  const steps: string[] = [];
  const selected = selectPolicy(input.config, policyName);
  if (selected.kind !== "policy") {
    steps.push(`policy "${selected.name}": ${selected.kind === "outbound" ? "outbound, refused for inbound requests" : "not defined"}`);
    return refused(undefined, selected.kind === "outbound" ? "outboundPolicy" : "noProfiles", [], steps, false);
  }
  const policy = selected.policy;
  steps.push(describePolicy(policy));

  const headerResult = findSecurityHeader(input.envelope);
  if (headerResult.kind === "ambiguous") return refusedWith(policy, refusal("tokenMissing", headerResult.reason), steps);
  const header = headerResult.kind === "found" ? headerResult.header : undefined;
  input = await readReplayEpoch(input, header);
  steps.push(describeHeader(headerResult));
  const signatureCount = header?.signatures.length ?? 0;
  if (signatureCount > 1) return refusedWith(policy, refusal("signatureInvalid", `${signatureCount} ds:Signature elements in the Security header`), steps);
  if (policy.requireSigned && signatureCount === 0) return refusedWith(policy, refusal("notSigned", "no ds:Signature in the Security header"), steps);
  if (policy.profiles.length === 0) return refusedWith(policy, refusal("noProfiles", "the policy has no active profile"), steps);

  const message = readMessageSecurity(input, header, policy.requireTimestamp, steps);
  if (message.kind === "refusal") return refusedWith(policy, message, steps);

  const context = newContext(input, message, steps);
  const outcomes: ProfileOutcome[] = [];
  for (const profile of policy.profiles) {
    const outcome = profile.kind === "x509" ? (await evaluateX509Profile(profile, context)).outcome : await evaluateUsernameProfile(profile, context);
    outcomes.push(outcome);
    steps.push(describeOutcome(outcome));
    if (context.fatal) return refused(policy.name, context.fatal.fault, outcomes, steps, false);
    if (outcome.kind === "failed" && policy.authenticate === "all") {
      return refused(policy.name, outcome.fault, outcomes, steps, outcome.credentialFailure);
    }
  }
  const passed = outcomes.filter((outcome) => outcome.kind === "passed");
  if (passed.length === 0) {
    steps.push("no profile passed (at_least_one)");
    const credentialFailure = outcomes.some((outcome) => outcome.kind === "failed" && outcome.credentialFailure);
    // A replayed signature or nonce is a property of the message, not of one profile: say so.
    const replayed = outcomes.some((outcome) => outcome.kind === "failed" && outcome.fault === "replayed");
    return refused(policy.name, replayed ? "replayed" : "authenticationFailed", outcomes, steps, credentialFailure);
  }

  const verifiedByPolicy = passed.some((outcome) => outcome.profileType === "x509");
  if (message.signature && !verifiedByPolicy) {
    const check = await verifyWithConfiguredCertificates(context);
    if (check.kind === "refusal") return refused(policy.name, check.fault, outcomes, steps, false);
  }

  const sessionUser = [...passed].reverse().find((outcome) => outcome.bindSession)?.user;
  steps.push(sessionUser ? `session user: ${sessionUser}` : "no profile binds the session: the basic user stays");
  return { kind: "admitted", policy: policy.name, profiles: outcomes, sessionUser, steps };
}

/**
 * No policy applies (ws_security.required is false, or an internal integration
 * user): only a present signature is verified, and it must pass.
 */
async function decideWithoutPolicy(input: WssInput, reason: BypassReason): Promise<WssDecision> {
  const steps: string[] = [
    reason === "not-required" ? "ws_security.required is false: no policy applies" : "internal integration user: no policy applies",
  ];
  const headerResult = findSecurityHeader(input.envelope);
  if (headerResult.kind === "ambiguous") return refused(undefined, "tokenMissing", [], [...steps, headerResult.reason], false);
  if (headerResult.kind === "absent" || headerResult.header.signatures.length === 0) return { kind: "bypassed", reason };
  const header = headerResult.header;
  if (header.signatures.length > 1) return refused(undefined, "signatureInvalid", [], [...steps, "more than one ds:Signature"], false);
  steps.push("a signature is present: it is verified anyway");
  input = await readReplayEpoch(input, header);
  // No policy applies, so no Timestamp is required; one that is present must still be covered.
  const message = readMessageSecurity(input, header, false, steps);
  if (message.kind === "refusal") return refused(undefined, message.fault, [], [...steps, message.reason], false);
  const context = newContext(input, message, steps);
  const check = await verifyWithConfiguredCertificates(context);
  if (check.kind === "refusal") return refused(undefined, check.fault, [], steps, false);
  return { kind: "bypassed", reason };
}

/**
 * A lazy replay epoch is read here, once, when our header holds what the
 * epoch is checked against (a Timestamp's or UsernameToken's Created): a
 * request without either costs no replay-cache round trip. A failed read
 * rejects (503). Left unread, checkReplayEpoch refuses any Created.
 */
async function readReplayEpoch(input: WssInput, header: SecurityHeader | undefined): Promise<WssInput> {
  const epoch = input.replayEpoch;
  if (typeof epoch !== "function" || header === undefined || (header.timestamps.length === 0 && header.usernameTokens.length === 0)) return input;
  return { ...input, replayEpoch: await epoch() };
}

function newContext(input: WssInput, message: MessageSecurity, steps: string[]): RequestContext {
  return { input, message, steps, replayChecks: new Map(), usernameToken: undefined, fatal: undefined };
}

/** Timestamp and signature structure, checked once before the profiles; no digest is computed here. */
function readMessageSecurity(
  input: WssInput,
  header: SecurityHeader | undefined,
  requireTimestamp: boolean,
  steps: string[],
): (MessageSecurity & { kind: "message" }) | Refusal {
  const settings = input.config.gateway.wsSecurity;
  const timestampResult = readTimestamp(header?.timestamps ?? []);
  if (timestampResult.kind === "unreadable") return refusal("tokenMissing", timestampResult.reason);
  let timestamp: Timestamp | undefined;
  if (timestampResult.kind === "timestamp") {
    timestamp = timestampResult.timestamp;
    const window = { ttlSeconds: settings.timestampTtlSeconds, clockSkewSeconds: settings.clockSkewSeconds };
    const freshness = checkFreshness("Timestamp", timestamp.created, timestamp.expires, window, input.clock);
    if (freshness.kind === "expired") return refusal("expired", freshness.reason);
    const epoch = checkReplayEpoch("Timestamp", timestamp.created, input.replayEpoch);
    if (epoch.kind === "before-epoch") return refusal("expired", epoch.reason);
    steps.push("Timestamp within its window");
  }
  const signatureElement = header?.signatures[0];
  if (!header || !signatureElement) return { kind: "message", header, timestamp, signature: undefined };

  const maxReferences = input.config.gateway.limits.maxSignatureReferences;
  const parsed = readSignature(signatureElement, { allowSha1: settings.allowSha1, maxReferences });
  if (parsed.kind === "invalid") return refusal("signatureInvalid", parsed.reason);
  const ids = collectIds(input.envelope.document);
  if (ids.kind === "duplicate") return refusal("signatureInvalid", ids.reason);
  const references = resolveReferences(parsed.signature, ids.elementsById, timestamp?.element);
  if (references.kind === "invalid") return refusal("signatureInvalid", references.reason);
  const coverage = checkSignedElements(references.signedElements, input.envelope.body, timestamp?.element);
  if (coverage.kind === "invalid") return refusal("signatureInvalid", coverage.reason);
  if (requireTimestamp && !timestamp) return refusal("tokenMissing", "the policy requires a wsu:Timestamp in the Security header of a signed request");
  const signedInfo = canonicalSignedInfo(parsed.signature);
  if (signedInfo.kind === "invalid") return refusal("signatureInvalid", signedInfo.reason);
  const keyReference = readKeyReference(parsed.signature.keyInfo, header, ids.elementsById, input.config.certificates);
  steps.push(`signature: ${parsed.signature.references.length} reference(s) resolved, Body${timestamp ? " and Timestamp" : ""} signed; key ${describeKeyReference(keyReference)}`);
  return {
    kind: "message",
    header,
    timestamp,
    signature: {
      parsed: parsed.signature,
      references: references.references,
      canonicalSignedInfo: signedInfo.bytes,
      keyReference,
      verifiedWith: new Map(),
      digests: undefined,
    },
  };
}

interface X509Evaluation {
  readonly outcome: ProfileOutcome;
  /** Whether the message's key reference named this profile's certificate. */
  readonly keyMatched: boolean;
}

async function evaluateX509Profile(profile: X509Profile, context: RequestContext): Promise<X509Evaluation> {
  const failed = (fault: FaultId, reason: string, keyMatched = true): X509Evaluation => ({
    outcome: { kind: "failed", profile: profile.name, profileType: "x509", fault, reason, credentialFailure: false },
    keyMatched,
  });
  const signature = context.message.signature;
  if (!signature) return failed("tokenMissing", "no ds:Signature in the Security header", false);
  const reference = signature.keyReference;
  if (reference.kind === "unreadable") return failed("tokenMissing", reference.reason, false);
  if (reference.kind === "unsupported") return failed("tokenUnsupported", reference.reason, false);
  // During a rotation the profile pins several certificates: any one that the key reference names and that verifies.
  const named = profile.certificates.filter((certificate) => matchCertificate(reference, certificate).kind === "match");
  if (named.length === 0) {
    const mismatch = matchCertificate(reference, profile.certificates[0]!);
    return failed("authenticationFailed", mismatch.kind === "mismatch" ? mismatch.reason : "no configured certificate matches", false);
  }
  const { minRsaKeyBits } = context.input.config.gateway.wsSecurity;
  let firstFailure: X509Evaluation | undefined;
  let certificate: ConfiguredCertificate | undefined;
  for (const candidate of named) {
    const trust = checkCertificateTrust(profile, candidate, minRsaKeyBits, context.input.clock);
    if (trust.kind === "untrusted") firstFailure ??= failed("authenticationFailed", trust.reason);
    else if (candidate.keyType !== signature.parsed.algorithm.keyType) {
      firstFailure ??= failed("signatureInvalid", `a ${signature.parsed.algorithm.keyType} signature cannot come from the configured ${candidate.keyType} key`);
    } else if (!verifyOnce(signature, candidate)) firstFailure ??= failed("signatureInvalid", "SignatureValue does not verify with the configured certificate");
    else {
      certificate = candidate;
      break;
    }
  }
  if (certificate === undefined) return firstFailure!;
  // Only now, with the SignatureValue verified by a configured certificate, are the References digested.
  signature.digests ??= verifyDigests(signature.references, context.input.onDigest);
  if (signature.digests.kind === "invalid") {
    context.fatal ??= refusal("signatureInvalid", signature.digests.reason);
    return failed("signatureInvalid", signature.digests.reason);
  }

  const expiresAt = replayEntryExpiry(context.message.timestamp?.created, context.input.config.gateway.wsSecurity, context.input.clock);
  const replay = await replayOnce(context, signedContentReplayKey(signature.canonicalSignedInfo), expiresAt, "this signed content");
  if (replay.kind === "replayed") return failed("replayed", replay.reason);
  if (replay.kind === "expired") return failed("expired", replay.reason);
  if (replay.kind === "unavailable") return failed("unavailable", replay.reason);
  return {
    outcome: {
      kind: "passed",
      profile: profile.name,
      profileType: "x509",
      user: profile.runAsUser,
      bindSession: profile.bindSession,
      certificate: certificate.fingerprintSha256,
      reason: `signature verified with the configured certificate ${certificateLabel(certificate)} (sha256 ${certificate.fingerprintSha256.slice(0, 16)}…, ${describeKeyReference(reference)}); ${runAsText(profile)}`,
    },
    keyMatched: true,
  };
}

async function evaluateUsernameProfile(profile: UsernameProfile, context: RequestContext): Promise<ProfileOutcome> {
  const failed = (fault: FaultId, reason: string, credentialFailure = false): ProfileOutcome => ({
    kind: "failed",
    profile: profile.name,
    profileType: "username",
    fault,
    reason,
    credentialFailure,
  });
  context.usernameToken ??= readUsernameToken(context.message.header?.usernameTokens ?? []);
  const read = context.usernameToken;
  if (read.kind === "missing") return failed("tokenMissing", read.reason);
  if (read.kind === "unsupported") return failed("tokenUnsupported", read.reason);
  const token = read.token;
  const { config, clock } = context.input;
  const validation = await validateUsernameToken(profile, token, config, clock);
  if (validation.kind === "failed") return failed(validation.fault, validation.reason, validation.credentialFailure);
  const epoch = token.created ? checkReplayEpoch("UsernameToken", token.created.date, context.input.replayEpoch) : undefined;
  if (epoch?.kind === "before-epoch") return failed("expired", epoch.reason);
  if (token.nonce) {
    // The processor refuses a Nonce without a Created, so the entry's lifetime is the token's own.
    const expiresAt = replayEntryExpiry(token.created?.date, config.gateway.wsSecurity, clock);
    const replay = await replayOnce(context, nonceReplayKey(token.username, token.nonce), expiresAt, "this (username, nonce) pair");
    if (replay.kind === "replayed") return failed("replayed", replay.reason);
    if (replay.kind === "expired") return failed("expired", replay.reason);
    if (replay.kind === "unavailable") return failed("unavailable", replay.reason);
  }
  return {
    kind: "passed",
    profile: profile.name,
    profileType: "username",
    user: validation.user,
    bindSession: profile.bindSession,
    reason: validation.reason,
  };
}

/**
 * A present signature that no x509 profile of the policy verified must still
 * verify with the certificate of some active x509 profile of the configuration.
 */
async function verifyWithConfiguredCertificates(context: RequestContext): Promise<{ kind: "verified" } | Refusal> {
  const candidates = context.input.config.profiles.filter((profile): profile is X509Profile => profile.kind === "x509" && profile.active);
  let matchedFailure: ProfileOutcome | undefined;
  for (const profile of candidates) {
    const evaluation = await evaluateX509Profile(profile, context);
    if (context.fatal) return stepRefusal(context, context.fatal);
    if (evaluation.outcome.kind === "passed") {
      context.steps.push(`signature verified with the certificate of profile "${profile.name}"`);
      return { kind: "verified" };
    }
    if (evaluation.keyMatched) matchedFailure ??= evaluation.outcome;
  }
  const reference = context.message.signature?.keyReference;
  if (matchedFailure?.kind === "failed") {
    context.steps.push(`signature refused: ${matchedFailure.reason}`);
    return refusal(matchedFailure.fault, matchedFailure.reason);
  }
  if (reference?.kind === "unreadable") return stepRefusal(context, refusal("tokenMissing", reference.reason));
  if (reference?.kind === "unsupported") return stepRefusal(context, refusal("tokenUnsupported", reference.reason));
  return stepRefusal(context, refusal("authenticationFailed", "the signature's key is not the certificate of any active x509 profile"));
}

function stepRefusal(context: RequestContext, result: Refusal): Refusal {
  context.steps.push(`signature refused: ${result.reason}`);
  return result;
}

function verifyOnce(signature: SignatureState, certificate: ConfiguredCertificate): boolean {
  let verified = signature.verifiedWith.get(certificate);
  if (verified === undefined) {
    verified = verifySignatureValue(signature.parsed, signature.canonicalSignedInfo, certificate.publicKey);
    signature.verifiedWith.set(certificate, verified);
  }
  return verified;
}

/** Each replay key is claimed once per request, however many profiles rely on it. A cache failure is fatal (503). */
async function replayOnce(context: RequestContext, key: string, expiresAt: Date, what: string): Promise<ReplayCheck> {
  let check = context.replayChecks.get(key);
  if (!check) {
    check = checkReplay(context.input.replay, key, expiresAt, what, context.input.clock);
    context.replayChecks.set(key, check);
  }
  const result = await check;
  if (result.kind === "unavailable") context.fatal ??= refusal("unavailable", result.reason);
  return result;
}

function refusal(fault: FaultId, reason: string, credentialFailure = false): Refusal {
  return { kind: "refusal", fault, reason, credentialFailure };
}

function refusedWith(policy: EffectivePolicy, result: Refusal, steps: string[]): WssDecision {
  steps.push(`refused: ${result.reason}`);
  return refused(policy.name, result.fault, [], steps, result.credentialFailure);
}

function refused(policy: string | undefined, fault: FaultId, profiles: readonly ProfileOutcome[], steps: readonly string[], credentialFailure: boolean): WssDecision {
  return { kind: "refused", policy, fault, profiles, steps, credentialFailure };
}

/** Each policy's description, made once (the policy objects are kept per configuration by selectPolicy). */
const policyDescriptions = new WeakMap<EffectivePolicy, string>();

function describePolicy(policy: EffectivePolicy): string {
  let description = policyDescriptions.get(policy);
  if (description === undefined) policyDescriptions.set(policy, (description = policyDescriptionOf(policy)));
  return description;
}

function policyDescriptionOf(policy: EffectivePolicy): string {
  const name = policy.name === undefined ? "no policies defined: every active profile" : `policy "${policy.name}"`;
  const profiles = policy.profiles.map((profile) => `"${profile.name}" (${profile.kind}, order ${profile.order})`).join(", ") || "none";
  return `${name}: require_signed ${policy.requireSigned}, authenticate ${policy.authenticate}; active profiles: ${profiles}`;
}

/** A certificate's file name, taken once per certificate (configured certificates live as long as their configuration). */
const certificateLabels = new WeakMap<ConfiguredCertificate, string>();

function certificateLabel(certificate: ConfiguredCertificate): string {
  let label = certificateLabels.get(certificate);
  if (label === undefined) certificateLabels.set(certificate, (label = basename(certificate.path)));
  return label;
}

function describeHeader(result: ReturnType<typeof findSecurityHeader>): string {
  if (result.kind === "absent") {
    return result.ignoredForOtherActors > 0 ? `no Security header for this receiver (${result.ignoredForOtherActors} for other actors ignored)` : "no Security header";
  }
  if (result.kind === "ambiguous") return result.reason;
  const { signatures, timestamps, usernameTokens, binarySecurityTokens } = result.header;
  return `Security header: ${signatures.length} signature(s), ${timestamps.length} timestamp(s), ${usernameTokens.length} UsernameToken(s), ${binarySecurityTokens.length} BinarySecurityToken(s)`;
}

function describeKeyReference(reference: KeyReference): string {
  switch (reference.kind) {
    case "none":
      return "not referenced (configured certificate assumed)";
    case "identified":
      return `referenced by ${reference.style}`;
    case "unreadable":
      return `reference unreadable: ${reference.reason}`;
    case "unsupported":
      return `reference unsupported: ${reference.reason}`;
    default: {
      const never: never = reference;
      return String(never);
    }
  }
}

function describeOutcome(outcome: ProfileOutcome): string {
  return `profile "${outcome.profile}" (${outcome.profileType}): ${outcome.kind}: ${outcome.reason}`;
}
