/**
 * The `wsse:UsernameToken` of the Username Token Profile 1.0: Username,
 * Password (PasswordText or PasswordDigest), Nonce (16 random bytes) and
 * Created, which are sent with both password types.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Document, Element } from "@xmldom/xmldom";
import { NS, WSS_TYPES } from "../../xml/ns.js";
import { element, type Child } from "./dom-builder.js";
import { xsdDateTime } from "./timestamp.js";

export type PasswordType = "text" | "digest";

export interface UsernameTokenOptions {
  readonly username: string;
  /** Without a password the token carries the Username only. */
  readonly password: string | undefined;
  readonly passwordType: PasswordType;
  readonly created: Date;
  /** Defaults to 16 random bytes. */
  readonly nonce?: Buffer;
}

/** `Base64(SHA-1(nonce + created + password))`, the PasswordDigest of the profile. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(created, "utf8"), Buffer.from(password, "utf8")]))
    .digest("base64");
}

export function buildUsernameToken(document: Document, id: string, options: UsernameTokenOptions): Element {
  const nonce = options.nonce ?? randomBytes(16);
  const created = xsdDateTime(options.created);
  const children: Child[] = [element(document, NS.wsse, "wsse:Username", {}, [options.username])];
  if (options.password !== undefined) {
    const password =
      options.passwordType === "digest"
        ? element(document, NS.wsse, "wsse:Password", { Type: WSS_TYPES.passwordDigest }, [
            passwordDigest(nonce, created, options.password),
          ])
        : element(document, NS.wsse, "wsse:Password", { Type: WSS_TYPES.passwordText }, [options.password]);
    children.push(password);
  }
  children.push(
    element(document, NS.wsse, "wsse:Nonce", { EncodingType: WSS_TYPES.base64Binary }, [nonce.toString("base64")]),
    element(document, NS.wsu, "wsu:Created", {}, [created]),
  );
  return element(document, NS.wsse, "wsse:UsernameToken", { "wsu:Id": id }, children);
}
