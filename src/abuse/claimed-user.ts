/**
 * The user name a request's credential claims, read before the credential
 * is checked so that a throttled name is refused without spending a
 * password check on it. A claim is not an identity: it is only a counter key.
 */
import type { SoapEnvelope } from "../soap/envelope.js";
import { readUsernameToken } from "../wss/processors/username-token.js";
import { findSecurityHeader } from "../wss/security-header.js";

/** The `wsse:Username` of the one readable UsernameToken in our Security header. */
export function claimedTokenUser(envelope: SoapEnvelope): string | undefined {
  const header = findSecurityHeader(envelope);
  if (header.kind !== "found") return undefined;
  const token = readUsernameToken(header.header.usernameTokens);
  return token.kind === "token" ? token.token.username : undefined;
}
