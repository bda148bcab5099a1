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

/** Whether `password` is the account's password. Never true for an account without one. */
export async function verifyPassword(account: UserAccount, password: string, cache: CredentialCache): Promise<boolean> {
  const credential = account.password;
  switch (credential.kind) {
    case "none":
      return false;
    case "recoverable":
      return secretsEqual(password, credential.value);
    case "scrypt-hash": {
      if (cache.has(account.userName, password, credential.hash)) return true;
      const ok = await verifyScryptHash(password, credential.hash);
      if (ok) cache.remember(account.userName, password, credential.hash);
      return ok;
    }
    default: {
      const unreachable: never = credential;
      return unreachable;
    }
  }
}
