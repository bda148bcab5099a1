/**
 * Rule: only the algorithms SPEC §5 allows. Digests SHA-256/384/512, and
 * signatures RSA (PKCS#1 v1.5) or ECDSA with SHA-256/384/512; SHA-1 for
 * either only with `allow_sha1`. Never HMAC (verifying an HMAC with the
 * certificate bytes as the secret is the classic key-confusion attack),
 * never DSA, RSA-PSS or anything unknown. Transforms: at most an
 * enveloped-signature (a no-op unless the signature sits inside the signed
 * element, which WS-Security never does and we refuse) followed by at most
 * one c14n; XPath, XSLT, Base64, STR-Transform or any other → refused.
 */
import { DSIG_ALGORITHMS } from "../../xml/ns.js";
import { C14N_ALGORITHMS, isC14nAlgorithm, type C14nAlgorithm } from "../c14n.js";

export type HashName = "sha1" | "sha256" | "sha384" | "sha512";

export interface DigestAlgorithm {
  readonly uri: string;
  readonly hash: HashName;
  readonly digestBytes: number;
}

export interface SignatureAlgorithm {
  readonly uri: string;
  readonly keyType: "rsa" | "ec";
  readonly hash: HashName;
}

const DIGESTS: readonly DigestAlgorithm[] = [
  { uri: DSIG_ALGORITHMS.digest.sha1, hash: "sha1", digestBytes: 20 },
  { uri: DSIG_ALGORITHMS.digest.sha256, hash: "sha256", digestBytes: 32 },
  { uri: DSIG_ALGORITHMS.digest.sha384, hash: "sha384", digestBytes: 48 },
  { uri: DSIG_ALGORITHMS.digest.sha512, hash: "sha512", digestBytes: 64 },
];

const SIGNATURES: readonly SignatureAlgorithm[] = [
  { uri: DSIG_ALGORITHMS.signature.rsaSha1, keyType: "rsa", hash: "sha1" },
  { uri: DSIG_ALGORITHMS.signature.rsaSha256, keyType: "rsa", hash: "sha256" },
  { uri: DSIG_ALGORITHMS.signature.rsaSha384, keyType: "rsa", hash: "sha384" },
  { uri: DSIG_ALGORITHMS.signature.rsaSha512, keyType: "rsa", hash: "sha512" },
  { uri: DSIG_ALGORITHMS.signature.ecdsaSha1, keyType: "ec", hash: "sha1" },
  { uri: DSIG_ALGORITHMS.signature.ecdsaSha256, keyType: "ec", hash: "sha256" },
  { uri: DSIG_ALGORITHMS.signature.ecdsaSha384, keyType: "ec", hash: "sha384" },
  { uri: DSIG_ALGORITHMS.signature.ecdsaSha512, keyType: "ec", hash: "sha512" },
];

export const ENVELOPED_SIGNATURE_TRANSFORM = DSIG_ALGORITHMS.transform.envelopedSignature;

export type AlgorithmCheck<T> = { readonly kind: "allowed"; readonly algorithm: T } | { readonly kind: "refused"; readonly reason: string };

export function checkDigestAlgorithm(uri: string, allowSha1: boolean): AlgorithmCheck<DigestAlgorithm> {
  const known = DIGESTS.find((digest) => digest.uri === uri);
  if (!known) return refused(`digest algorithm ${describe(uri)} is not allowed`);
  if (known.hash === "sha1" && !allowSha1) return refused("SHA-1 digest refused (allow_sha1 is false)");
  return { kind: "allowed", algorithm: known };
}

export function checkSignatureAlgorithm(uri: string, allowSha1: boolean): AlgorithmCheck<SignatureAlgorithm> {
  const known = SIGNATURES.find((signature) => signature.uri === uri);
  if (!known) return refused(`signature algorithm ${describe(uri)} is not allowed`);
  if (known.hash === "sha1" && !allowSha1) return refused("SHA-1 signature refused (allow_sha1 is false)");
  return { kind: "allowed", algorithm: known };
}

export function checkCanonicalizationAlgorithm(uri: string): AlgorithmCheck<C14nAlgorithm> {
  if (isC14nAlgorithm(uri)) return { kind: "allowed", algorithm: uri };
  return refused(`canonicalization ${describe(uri)} is not allowed`);
}

/** The transform chain of one Reference: [enveloped-signature]? then [c14n]? — nothing else. */
export interface TransformChain {
  readonly enveloped: boolean;
  /** The c14n of the referenced element; inclusive c14n 1.0 when the chain names none (XMLDSig's default). */
  readonly c14n: C14nAlgorithm;
}

export function checkTransforms(uris: readonly string[]): AlgorithmCheck<TransformChain> {
  let index = 0;
  const enveloped = uris[index] === ENVELOPED_SIGNATURE_TRANSFORM;
  if (enveloped) index++;
  let c14n: C14nAlgorithm = C14N_ALGORITHMS.inclusive10;
  const next = uris[index];
  if (next !== undefined) {
    if (!isC14nAlgorithm(next)) return refused(`transform ${describe(next)} is not allowed`);
    c14n = next;
    index++;
  }
  if (index < uris.length) return refused(`transform ${describe(uris[index]!)} is not allowed after ${describe(uris[index - 1]!)}`);
  return { kind: "allowed", algorithm: { enveloped, c14n } };
}

function refused(reason: string): { kind: "refused"; reason: string } {
  return { kind: "refused", reason };
}

/** An algorithm URI for the trace, shortened and stripped of anything odd. */
function describe(uri: string): string {
  return JSON.stringify(uri.slice(0, 100));
}
