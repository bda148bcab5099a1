/**
 * Builds and computes a detached ds:Signature over elements referenced by
 * `#wsu:Id`: each Reference has one c14n Transform and a digest; SignedInfo
 * is canonicalized in place (inside the document) and signed with node:crypto.
 * ECDSA signature values are r||s (IEEE P1363), as XML-DSig requires.
 */
import { createHash, sign as cryptoSign, type KeyObject } from "node:crypto";
import type { Document, Element } from "@xmldom/xmldom";
import { NS } from "../../xml/ns.js";
import { C14N_ALGORITHMS, canonicalize as canonicalizeForVerification } from "../c14n.js";
import {
  canonicalizationUri,
  digestAlgorithmUri,
  signatureAlgorithmUri,
  type CanonicalizationName,
  type DigestName,
  type SignatureKeyType,
} from "./algorithms.js";
import { childElement, element } from "./dom-builder.js";
import { SignError } from "./sign-error.js";

export interface SignedPart {
  readonly id: string;
  readonly target: Element;
}

export interface SignatureSpec {
  readonly parts: readonly SignedPart[];
  readonly digest: DigestName;
  readonly signatureHash: DigestName;
  readonly keyType: SignatureKeyType;
  readonly canonicalization: CanonicalizationName;
  readonly keyInfo: Element;
  readonly signatureId: string;
}

/** A ds:Signature with every DigestValue computed and an empty SignatureValue (see `computeSignatureValue`). */
export function buildSignature(document: Document, spec: SignatureSpec): Element {
  const c14nUri = canonicalizationUri(spec.canonicalization);
  const references = spec.parts.map((part) =>
    element(document, NS.ds, "ds:Reference", { URI: `#${part.id}` }, [
      element(document, NS.ds, "ds:Transforms", {}, [element(document, NS.ds, "ds:Transform", { Algorithm: c14nUri })]),
      element(document, NS.ds, "ds:DigestMethod", { Algorithm: digestAlgorithmUri(spec.digest) }),
      element(document, NS.ds, "ds:DigestValue", {}, [digestOf(part.target, spec.canonicalization, spec.digest)]),
    ]),
  );
  const signedInfo = element(document, NS.ds, "ds:SignedInfo", {}, [
    element(document, NS.ds, "ds:CanonicalizationMethod", { Algorithm: c14nUri }),
    element(document, NS.ds, "ds:SignatureMethod", { Algorithm: signatureAlgorithmUri(spec.keyType, spec.signatureHash) }),
    ...references,
  ]);
  return element(document, NS.ds, "ds:Signature", { "xmlns:ds": NS.ds, Id: spec.signatureId }, [
    signedInfo,
    element(document, NS.ds, "ds:SignatureValue"),
    spec.keyInfo,
  ]);
}

/**
 * Canonicalizes the SignedInfo of `signature` (which must already sit in its
 * document) and writes the SignatureValue. Exported so that attack fixtures
 * can re-sign an altered SignedInfo with another key.
 */
export function computeSignatureValue(
  signature: Element,
  key: KeyObject,
  keyType: SignatureKeyType,
  signatureHash: DigestName,
  canonicalization: CanonicalizationName,
): void {
  const signedInfo = childElement(signature, NS.ds, "SignedInfo");
  const signatureValue = childElement(signature, NS.ds, "SignatureValue");
  if (!signedInfo || !signatureValue) throw new SignError("ds:Signature lacks SignedInfo or SignatureValue");
  const material = Buffer.from(canonicalize(signedInfo, canonicalization), "utf8");
  const value = cryptoSign(signatureHash, material, keyType === "ec" ? { key, dsaEncoding: "ieee-p1363" } : key);
  while (signatureValue.firstChild) signatureValue.removeChild(signatureValue.firstChild);
  signatureValue.appendChild(signatureValue.ownerDocument!.createTextNode(value.toString("base64")));
}

export function digestOf(target: Element, canonicalization: CanonicalizationName, digest: DigestName): string {
  return createHash(digest).update(canonicalize(target, canonicalization), "utf8").digest("base64");
}

/** The canonical form of `target` as a document subset (exclusive or inclusive c14n 1.0, without comments). */
export function canonicalize(target: Element, canonicalization: CanonicalizationName): string {
  // The verifier's canonicalizers, so that what we sign is exactly what we (and xmlsec1, WSS4J) verify.
  const algorithm = canonicalization === "exclusive" ? C14N_ALGORITHMS.exclusive : C14N_ALGORITHMS.inclusive10;
  const result = canonicalizeForVerification(target, algorithm);
  if (result.kind !== "canonical") throw new SignError(`cannot canonicalize the signed element: ${result.reason}`);
  return result.text;
}
