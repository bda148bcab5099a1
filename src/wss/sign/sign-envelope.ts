/**
 * The client side of WS-Security: adds to an envelope a wsse:Security header
 * (mustUnderstand="1") holding, as asked, a Timestamp, a BinarySecurityToken,
 * a UsernameToken and a ds:Signature (exclusive c14n by default) over the
 * Timestamp and the Body, with the key referenced in the chosen style.
 */
import { createPrivateKey, randomUUID, type KeyObject } from "node:crypto";
import { systemClock, type Clock } from "../../clock.js";
import { signatureKeyTypeOf, type CanonicalizationName, type DigestName } from "./algorithms.js";
import { ensureWsuId } from "./dom-builder.js";
import { ensureSecurityHeader, parseEnvelope, serializeEnvelope } from "./envelope-dom.js";
import { buildBinarySecurityToken, buildKeyInfo, type KeyInfoTarget, type KeyReferenceStyle } from "./key-info.js";
import { SignError } from "./sign-error.js";
import { readSignerCertificate } from "./signer-certificate.js";
import { buildTimestamp } from "./timestamp.js";
import { buildUsernameToken, type PasswordType } from "./username-token.js";
import { buildSignature, computeSignatureValue, type SignedPart } from "./xml-signature.js";

export type SignedPartName = "body" | "timestamp" | "username-token" | "binary-security-token";

export interface SignOptions {
  /** The private key (KeyObject or PEM). Without it nothing is signed; tokens are still added. */
  readonly key?: KeyObject | string;
  /** The signer's certificate (PEM or DER); required with `key`. */
  readonly cert?: string | Buffer;
  /** Default "bst". */
  readonly keyReference?: KeyReferenceStyle;
  /** Reference digest; default sha256. */
  readonly digest?: DigestName;
  /** Hash of the signature algorithm (rsa-<hash> / ecdsa-<hash>); defaults to `digest`. */
  readonly signatureHash?: DigestName;
  /** Default "exclusive". */
  readonly canonicalization?: CanonicalizationName;
  /** Adds a wsu:Timestamp with Created = now and Expires = now + timestampSeconds. */
  readonly timestampSeconds?: number;
  /** Adds a UsernameToken (with Nonce and Created). */
  readonly username?: string;
  readonly password?: string;
  /** Default "text". */
  readonly passwordType?: PasswordType;
  /** Nonce bytes for the UsernameToken; default 16 random bytes. */
  readonly nonce?: Buffer;
  readonly clock?: Clock;
  /** What the signature covers; default the Timestamp (when added) and the Body. */
  readonly signedParts?: readonly SignedPartName[];
  /** Default true. */
  readonly mustUnderstand?: boolean;
}

/** Returns `xml` with WS-Security added as `options` ask. Throws SignError when it cannot. */
export function signEnvelope(xml: string, options: SignOptions): string {
  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const dom = parseEnvelope(xml);
  const security = ensureSecurityHeader(dom, options.mustUnderstand ?? true);
  const newId = (prefix: string): string => `${prefix}-${randomUUID()}`;
  const parts = new Map<SignedPartName, SignedPart>();

  if (options.timestampSeconds !== undefined) {
    if (!Number.isFinite(options.timestampSeconds) || options.timestampSeconds <= 0) {
      throw new SignError("timestampSeconds must be a positive number of seconds");
    }
    const id = newId("TS");
    const timestamp = buildTimestamp(dom.document, id, now, options.timestampSeconds);
    security.appendChild(timestamp);
    parts.set("timestamp", { id, target: timestamp });
  }

  const signer = options.key === undefined ? undefined : signerOf(options);
  let keyInfoTarget: KeyInfoTarget | undefined;
  if (signer) {
    const style = options.keyReference ?? "bst";
    if (style === "bst") {
      const id = newId("X509");
      const token = buildBinarySecurityToken(dom.document, id, signer.certificate);
      security.appendChild(token);
      parts.set("binary-security-token", { id, target: token });
      keyInfoTarget = { kind: "bst", tokenId: id };
    } else {
      keyInfoTarget = { kind: style };
    }
  } else if (options.cert !== undefined || options.keyReference !== undefined) {
    throw new SignError("a certificate or key reference was given without a private key");
  }

  if (options.username !== undefined) {
    const id = newId("UsernameToken");
    const token = buildUsernameToken(dom.document, id, {
      username: options.username,
      password: options.password,
      passwordType: options.passwordType ?? "text",
      created: now,
      ...(options.nonce ? { nonce: options.nonce } : {}),
    });
    security.appendChild(token);
    parts.set("username-token", { id, target: token });
  } else if (options.password !== undefined) {
    throw new SignError("a password was given without a username");
  }

  if (signer && keyInfoTarget) {
    parts.set("body", { id: ensureWsuId(dom.body, "Body", newId), target: dom.body });
    const wanted = options.signedParts ?? (parts.has("timestamp") ? ["timestamp", "body"] : ["body"]);
    const signed = wanted.map((name) => {
      const part = parts.get(name);
      if (!part) throw new SignError(`cannot sign the ${name}: the envelope has none`);
      return part;
    });
    const digest = options.digest ?? "sha256";
    const signatureHash = options.signatureHash ?? digest;
    const canonicalization = options.canonicalization ?? "exclusive";
    const signature = buildSignature(dom.document, {
      parts: signed,
      digest,
      signatureHash,
      keyType: signer.keyType,
      canonicalization,
      keyInfo: buildKeyInfo(dom.document, keyInfoTarget, signer.certificate, newId("STR")),
      signatureId: newId("SIG"),
    });
    security.appendChild(signature);
    computeSignatureValue(signature, signer.key, signer.keyType, signatureHash, canonicalization);
  }
  return serializeEnvelope(dom);
}

function signerOf(options: SignOptions) {
  const key = privateKeyOf(options.key!);
  if (options.cert === undefined) throw new SignError("a private key was given without its certificate");
  return { key, keyType: signatureKeyTypeOf(key), certificate: readSignerCertificate(options.cert) };
}

function privateKeyOf(key: KeyObject | string): KeyObject {
  if (typeof key !== "string") {
    if (key.type !== "private") throw new SignError("the signing key must be a private key");
    return key;
  }
  try {
    return createPrivateKey(key);
  } catch {
    throw new SignError("the key is not a PEM private key (encrypted keys are not supported)");
  }
}

