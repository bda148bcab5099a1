/**
 * The algorithms our signer can emit, by short name, and their XML-DSig
 * identifiers. The signature algorithm follows from the key type: RSA keys
 * sign with rsa-<hash>, EC keys with ecdsa-<hash>.
 */
import type { KeyObject } from "node:crypto";
import { DSIG_ALGORITHMS } from "../../xml/ns.js";
import { SignError } from "./sign-error.js";

export const DIGEST_NAMES = ["sha256", "sha384", "sha512", "sha1"] as const;
export type DigestName = (typeof DIGEST_NAMES)[number];

export const CANONICALIZATION_NAMES = ["exclusive", "inclusive"] as const;
export type CanonicalizationName = (typeof CANONICALIZATION_NAMES)[number];

export type SignatureKeyType = "rsa" | "ec";

export function digestAlgorithmUri(digest: DigestName): string {
  return DSIG_ALGORITHMS.digest[digest];
}

export function canonicalizationUri(c14n: CanonicalizationName): string {
  return c14n === "exclusive" ? DSIG_ALGORITHMS.c14n.exclusive : DSIG_ALGORITHMS.c14n.inclusive;
}

const SIGNATURE_URIS: Readonly<Record<SignatureKeyType, Readonly<Record<DigestName, string>>>> = {
  rsa: {
    sha1: DSIG_ALGORITHMS.signature.rsaSha1,
    sha256: DSIG_ALGORITHMS.signature.rsaSha256,
    sha384: DSIG_ALGORITHMS.signature.rsaSha384,
    sha512: DSIG_ALGORITHMS.signature.rsaSha512,
  },
  ec: {
    sha1: DSIG_ALGORITHMS.signature.ecdsaSha1,
    sha256: DSIG_ALGORITHMS.signature.ecdsaSha256,
    sha384: DSIG_ALGORITHMS.signature.ecdsaSha384,
    sha512: DSIG_ALGORITHMS.signature.ecdsaSha512,
  },
};

export function signatureAlgorithmUri(keyType: SignatureKeyType, hash: DigestName): string {
  return SIGNATURE_URIS[keyType][hash];
}

/** The signature family of a private key; other key types (RSA-PSS, EdDSA, DSA) are refused. */
export function signatureKeyTypeOf(key: KeyObject): SignatureKeyType {
  const type = key.asymmetricKeyType;
  if (type === "rsa" || type === "ec") return type;
  throw new SignError(`unsupported key type ${type ?? "unknown"}: use an RSA or EC private key`);
}

export function isDigestName(value: string): value is DigestName {
  return (DIGEST_NAMES as readonly string[]).includes(value);
}
