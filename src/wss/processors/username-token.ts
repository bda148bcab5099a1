/**
 * Processor: reads the one `wsse:UsernameToken` of our Security header.
 * Password Type PasswordText (the default) or PasswordDigest; a digest
 * needs a Nonce and a Created. A Nonce without a Created is refused (text or
 * digest): the nonce is remembered until Created + TTL + skew, and without
 * a Created the token could be replayed once its entry expired. Nonce
 * EncodingType Base64Binary (the default).
 */
import type { Element } from "../../xml/tree.js";
import { attribute, elementChildren, strictText } from "../../xml/navigate.js";
import { NS, WSS_TYPES } from "../../xml/ns.js";
import { decodeBase64Strict } from "../base64.js";
import { parseZonedDateTime } from "./timestamp.js";

export type UsernameTokenPassword =
  | { readonly kind: "text"; readonly value: string }
  | { readonly kind: "digest"; readonly digest: Buffer };

export interface UsernameToken {
  readonly username: string;
  readonly password: UsernameTokenPassword;
  readonly nonce: Buffer | undefined;
  /** Created exactly as sent (it is an input of the digest) and parsed. */
  readonly created: { readonly text: string; readonly date: Date } | undefined;
}

export type UsernameTokenResult =
  | { readonly kind: "token"; readonly token: UsernameToken }
  | { readonly kind: "missing"; readonly reason: string }
  | { readonly kind: "unsupported"; readonly reason: string };

export function readUsernameToken(tokens: readonly Element[]): UsernameTokenResult {
  if (tokens.length === 0) return missing("no wsse:UsernameToken in the Security header");
  if (tokens.length > 1) return missing(`${tokens.length} wsse:UsernameToken elements in the Security header`);
  const fields = { Username: [] as Element[], Password: [] as Element[], Nonce: [] as Element[], Created: [] as Element[] };
  for (const child of elementChildren(tokens[0]!)) {
    const name = child.localName as keyof typeof fields;
    const expectedNs = name === "Created" ? NS.wsu : NS.wsse;
    if (!Object.hasOwn(fields, name) || child.namespaceURI !== expectedNs) return missing(`unexpected ${child.localName} in wsse:UsernameToken`);
    fields[name].push(child);
  }
  if (fields.Username.length !== 1) return missing("wsse:UsernameToken needs one wsse:Username");
  if (fields.Password.length !== 1) return missing("wsse:UsernameToken needs one wsse:Password");
  if (fields.Nonce.length > 1 || fields.Created.length > 1) return missing("wsse:UsernameToken repeats Nonce or Created");

  const username = strictText(fields.Username[0]!)?.trim();
  if (!username) return missing("wsse:Username is empty or not text");

  let nonce: Buffer | undefined;
  if (fields.Nonce[0]) {
    const encodingType = attribute(fields.Nonce[0], "EncodingType");
    if (encodingType !== undefined && encodingType !== WSS_TYPES.base64Binary) return unsupported("Nonce EncodingType is not Base64Binary");
    const text = strictText(fields.Nonce[0]);
    nonce = text === undefined ? undefined : decodeBase64Strict(text);
    if (!nonce || nonce.length === 0) return missing("wsse:Nonce is not base64 text");
  }

  let created: UsernameToken["created"];
  if (fields.Created[0]) {
    const text = strictText(fields.Created[0]) ?? "";
    const date = parseZonedDateTime(text);
    if (!date) return missing("wsu:Created is not an xsd:dateTime with a time zone");
    created = { text, date };
  }

  const passwordElement = fields.Password[0]!;
  const passwordText = strictText(passwordElement);
  if (passwordText === undefined) return missing("wsse:Password is not text");
  const type = attribute(passwordElement, "Type") ?? WSS_TYPES.passwordText;
  let password: UsernameTokenPassword;
  if (type === WSS_TYPES.passwordText) {
    password = { kind: "text", value: passwordText };
  } else if (type === WSS_TYPES.passwordDigest) {
    if (!nonce || !created) return missing("a PasswordDigest needs a Nonce and a Created");
    const digest = decodeBase64Strict(passwordText);
    if (!digest || digest.length !== 20) return missing("PasswordDigest is not a base64 SHA-1 value");
    password = { kind: "digest", digest };
  } else {
    return unsupported("Password Type is neither PasswordText nor PasswordDigest");
  }
  if (nonce && !created) return missing("a wsse:Nonce needs a wsu:Created");
  return { kind: "token", token: { username, password, nonce, created } };
}

function missing(reason: string): UsernameTokenResult {
  return { kind: "missing", reason };
}

function unsupported(reason: string): UsernameTokenResult {
  return { kind: "unsupported", reason };
}
