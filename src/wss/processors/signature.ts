/**
 * Processor: reads the one `ds:Signature` of our Security header into a typed
 * value, refusing anything outside the shape WS-Security uses:
 *
 *   Signature = SignedInfo, SignatureValue, KeyInfo?      (no ds:Object)
 *   SignedInfo = CanonicalizationMethod, SignatureMethod, Reference+
 *   Reference(URI="#id") = Transforms?, DigestMethod, DigestValue
 *
 * Algorithms are checked by rules/algorithms.ts as they are read. Also here:
 * the SignatureValue check over canonical SignedInfo with node:crypto.
 */
import { verify, type KeyObject } from "node:crypto";
import type { Element } from "../../xml/tree.js";
import { attribute, childrenNamed, elementChildren } from "../../xml/navigate.js";
import { NS } from "../../xml/ns.js";
import { C14N_ALGORITHMS, canonicalize, type C14nAlgorithm } from "../c14n.js";
import { base64Content } from "../base64.js";
import {
  checkCanonicalizationAlgorithm,
  checkDigestAlgorithm,
  checkSignatureAlgorithm,
  checkTransforms,
  type DigestAlgorithm,
  type SignatureAlgorithm,
  type TransformChain,
} from "../rules/algorithms.js";


export interface SignatureReference {
  /** The id named by URI="#id". */
  readonly id: string;
  readonly transforms: TransformChain;
  /** InclusiveNamespaces PrefixList of an exclusive c14n transform. */
  readonly prefixList: readonly string[];
  readonly digest: DigestAlgorithm;
  readonly digestValue: Buffer;
}

export interface ParsedSignature {
  readonly element: Element;
  readonly signedInfo: Element;
  readonly c14n: C14nAlgorithm;
  readonly c14nPrefixList: readonly string[];
  readonly algorithm: SignatureAlgorithm;
  readonly references: readonly SignatureReference[];
  readonly signatureValue: Buffer;
  readonly keyInfo: Element | undefined;
}

export type SignatureReadResult = { readonly kind: "signature"; readonly signature: ParsedSignature } | { readonly kind: "invalid"; readonly reason: string };

export interface SignatureReadOptions {
  readonly allowSha1: boolean;
  /** limits.max_signature_references: more References in one SignedInfo are refused before any is read. */
  readonly maxReferences: number;
}

export function readSignature(element: Element, options: SignatureReadOptions): SignatureReadResult {
  const { allowSha1, maxReferences } = options;
  const children = elementChildren(element);
  const [signedInfo, signatureValueElement, keyInfo, ...rest] = children;
  if (!signedInfo || !is(signedInfo, "SignedInfo")) return invalid("ds:Signature must start with one ds:SignedInfo");
  if (!signatureValueElement || !is(signatureValueElement, "SignatureValue")) return invalid("ds:SignedInfo must be followed by one ds:SignatureValue");
  if (keyInfo && !is(keyInfo, "KeyInfo")) return invalid(`unexpected ${keyInfo.localName} in ds:Signature`);
  if (rest.length > 0) return invalid(`unexpected ${rest[0]!.localName} in ds:Signature`);

  const signatureValue = base64Content(signatureValueElement);
  if (!signatureValue) return invalid("ds:SignatureValue is not plain base64 text");

  const [c14nMethod, signatureMethod, ...references] = elementChildren(signedInfo);
  if (!c14nMethod || !is(c14nMethod, "CanonicalizationMethod")) return invalid("ds:SignedInfo must start with ds:CanonicalizationMethod");
  if (!signatureMethod || !is(signatureMethod, "SignatureMethod")) return invalid("ds:SignatureMethod must follow ds:CanonicalizationMethod");
  if (references.length === 0) return invalid("ds:SignedInfo has no ds:Reference");
  if (references.length > maxReferences) return invalid(`ds:SignedInfo has ${references.length} References (max_signature_references ${maxReferences})`);

  const c14nCheck = checkCanonicalizationAlgorithm(attribute(c14nMethod, "Algorithm") ?? "");
  if (c14nCheck.kind === "refused") return invalid(c14nCheck.reason);
  const c14nPrefixList = readPrefixList(c14nMethod, c14nCheck.algorithm);
  if (c14nPrefixList.kind === "invalid") return c14nPrefixList;

  if (elementChildren(signatureMethod).length > 0) return invalid("ds:SignatureMethod must be empty");
  const algorithmCheck = checkSignatureAlgorithm(attribute(signatureMethod, "Algorithm") ?? "", allowSha1);
  if (algorithmCheck.kind === "refused") return invalid(algorithmCheck.reason);

  const parsedReferences: SignatureReference[] = [];
  for (const reference of references) {
    if (!is(reference, "Reference")) return invalid(`unexpected ${reference.localName} in ds:SignedInfo`);
    const parsed = readReference(reference, allowSha1);
    if (parsed.kind === "invalid") return parsed;
    parsedReferences.push(parsed.reference);
  }
  return {
    kind: "signature",
    signature: {
      element,
      signedInfo,
      c14n: c14nCheck.algorithm,
      c14nPrefixList: c14nPrefixList.prefixList,
      algorithm: algorithmCheck.algorithm,
      references: parsedReferences,
      signatureValue,
      keyInfo,
    },
  };
}

/** The canonical form of SignedInfo as UTF-8, the bytes signed (computed once per request, then verified with each candidate key). */
export function canonicalSignedInfo(signature: ParsedSignature): { kind: "canonical"; bytes: Buffer } | { kind: "invalid"; reason: string } {
  const result = canonicalize(signature.signedInfo, signature.c14n, signature.c14nPrefixList);
  return result.kind === "canonical" ? { kind: "canonical", bytes: Buffer.from(result.text, "utf8") } : invalid(result.reason);
}

/** Verifies the SignatureValue with `key` (RSA PKCS#1 v1.5, or ECDSA in XMLDSig's raw r||s form). */
export function verifySignatureValue(signature: ParsedSignature, data: Buffer, key: KeyObject): boolean {
  if (key.asymmetricKeyType !== signature.algorithm.keyType) return false;
  try {
    if (signature.algorithm.keyType === "ec") {
      return verify(signature.algorithm.hash, data, { key, dsaEncoding: "ieee-p1363" }, signature.signatureValue);
    }
    return verify(signature.algorithm.hash, data, key, signature.signatureValue);
  } catch {
    return false;
  }
}

type ReferenceReadResult = { readonly kind: "reference"; readonly reference: SignatureReference } | { readonly kind: "invalid"; readonly reason: string };

const ID_REFERENCE = /^#([A-Za-z_][A-Za-z0-9_.-]*)$/;

function readReference(reference: Element, allowSha1: boolean): ReferenceReadResult {
  const uri = attribute(reference, "URI");
  // Same-document bare-name references only: no empty URI (whole document), no external, no XPointer.
  const match = uri === undefined ? null : ID_REFERENCE.exec(uri);
  if (!match) return invalid(`ds:Reference URI ${JSON.stringify((uri ?? "(none)").slice(0, 80))} is not a same-document #id`);

  const children = elementChildren(reference);
  let index = 0;
  let chain: TransformChain = { enveloped: false, c14n: C14N_ALGORITHMS.inclusive10 };
  let prefixList: readonly string[] = [];
  if (children[index] && is(children[index]!, "Transforms")) {
    const transforms = elementChildren(children[index]!);
    if (transforms.length === 0) return invalid("ds:Transforms is empty");
    const transformUris = transforms.map((transform) => (is(transform, "Transform") ? attribute(transform, "Algorithm") ?? "" : `(${transform.localName})`));
    const check = checkTransforms(transformUris);
    if (check.kind === "refused") return invalid(check.reason);
    chain = check.algorithm;
    for (const transform of transforms) {
      const algorithm = attribute(transform, "Algorithm") ?? "";
      const list = algorithm === C14N_ALGORITHMS.exclusive ? readPrefixList(transform, algorithm) : readNoChildren(transform);
      if (list.kind === "invalid") return list;
      if (algorithm === C14N_ALGORITHMS.exclusive) prefixList = list.prefixList;
    }
    index++;
  }
  const digestMethod = children[index++];
  const digestValueElement = children[index++];
  if (!digestMethod || !is(digestMethod, "DigestMethod")) return invalid("ds:Reference needs ds:DigestMethod");
  if (!digestValueElement || !is(digestValueElement, "DigestValue")) return invalid("ds:Reference needs ds:DigestValue");
  if (index < children.length) return invalid(`unexpected ${children[index]!.localName} in ds:Reference`);
  if (elementChildren(digestMethod).length > 0) return invalid("ds:DigestMethod must be empty");

  const digestCheck = checkDigestAlgorithm(attribute(digestMethod, "Algorithm") ?? "", allowSha1);
  if (digestCheck.kind === "refused") return invalid(digestCheck.reason);
  const digestValue = base64Content(digestValueElement);
  if (!digestValue) return invalid("ds:DigestValue is not plain base64 text");
  if (digestValue.length !== digestCheck.algorithm.digestBytes) return invalid("ds:DigestValue has the wrong length for its algorithm");
  return { kind: "reference", reference: { id: match[1]!, transforms: chain, prefixList, digest: digestCheck.algorithm, digestValue } };
}

type PrefixListResult = { readonly kind: "prefixes"; readonly prefixList: readonly string[] } | { readonly kind: "invalid"; readonly reason: string };

/** The answer for a method or transform without content (the usual case). */
const NO_PREFIXES: PrefixListResult = Object.freeze({ kind: "prefixes", prefixList: Object.freeze([]) });

/** An exclusive c14n method/transform may hold one ec:InclusiveNamespaces; the others hold nothing. */
function readPrefixList(method: Element, algorithm: string): PrefixListResult {
  if (method.firstChild === null) return NO_PREFIXES;
  if (algorithm !== C14N_ALGORITHMS.exclusive) return readNoChildren(method);
  const children = elementChildren(method);
  const inclusive = childrenNamed(method, NS.excC14n, "InclusiveNamespaces");
  if (children.length !== inclusive.length || inclusive.length > 1) return invalid("unexpected content in an exclusive c14n method");
  const list = inclusive[0] ? attribute(inclusive[0], "PrefixList") ?? "" : "";
  return { kind: "prefixes", prefixList: list.split(/[ \t\r\n]+/).filter((prefix) => prefix !== "") };
}

function readNoChildren(method: Element): PrefixListResult {
  if (elementChildren(method).length > 0) return invalid(`unexpected content in ${method.localName}`);
  return NO_PREFIXES;
}

function is(element: Element, localName: string): boolean {
  return element.namespaceURI === NS.ds && element.localName === localName;
}

function invalid(reason: string): { kind: "invalid"; reason: string } {
  return { kind: "invalid", reason };
}
