/**
 * HTTP Basic credentials: parsing the header and verifying a user's password
 * (scrypt hash through the credential cache, or a recoverable secret compared
 * in constant time).
 */
import type { UserAccount } from "../config/types.js";
import { secretsEqual, verifyScryptHash } from "./password.js";
import type { CredentialCache } from "./credential-cache.js";

export type BasicCredentials = { readonly userName: string; readonly password: string };

export type ParsedAuthorization =
  | { readonly kind: "absent" }
  | { readonly kind: "basic"; readonly credentials: BasicCredentials }
  | { readonly kind: "unreadable" };

export function parseBasicAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined || header === "") return { kind: "absent" };
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!match) return { kind: "unreadable" };
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return { kind: "unreadable" };
  return { kind: "basic", credentials: { userName: decoded.slice(0, colon), password: decoded.slice(colon + 1) } };
}

/**
 * Whether `password` is the account's password (never for an account without
 * one), and whether a full-cost KDF ran to find out: a literal password and a
 * cached hash are checked without one, so a refusal must spend it instead
 * (src/auth/failure-cost.ts).
 */
export interface PasswordCheck {
  readonly matches: boolean;
  readonly kdfRan: boolean;
}

export async function checkPassword(account: UserAccount, password: string, cache: CredentialCache): Promise<PasswordCheck> {
  const credential = account.password;
  switch (credential.kind) {
    case "none":
      return { matches: false, kdfRan: false };
    case "recoverable":
      return { matches: secretsEqual(password, credential.value), kdfRan: false };
    case "scrypt-hash": {
      if (cache.has(account.userName, password, credential.hash)) return { matches: true, kdfRan: false };
      const matches = await verifyScryptHash(password, credential.hash);
      if (matches) cache.remember(account.userName, password, credential.hash);
      return { matches, kdfRan: true };
    }
    default: {
      const unreachable: never = credential;
      return unreachable;
    }
  }
}
