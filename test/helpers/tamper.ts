/**
 * Classic attacks on a validly signed envelope, as pure functions from XML
 * text to XML text (parse with @xmldom/xmldom, mutate, serialize). Build the
 * fixture with a real signer (signEnvelope or ./signers.ts), then tamper:
 *
 *   const signed = signEnvelope(ENVELOPE, { key, cert, timestampSeconds: 300 });
 *   const wrapped = moveSignedBodyIntoHeader(signed);   // → Unable to verify signed request
 *
 * Unless stated otherwise nothing is re-signed: the original signature stays
 * cryptographically valid over the elements it references, which is what
 * makes these attacks dangerous. "The signed Body" is the Body of the input
 * (with its wsu:Id); "the attacker Body" is a new Body carrying
 * `replacementContent` (default: ATTACKER_OPERATION in the signed
 * operation's namespace, a deleteMultiple of every active record).
 */
import { createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import { DOMParser, XMLSerializer, type Document, type Element, type Text } from "@xmldom/xmldom";
import { systemClock, type Clock } from "../../src/clock.js";
import { NS, WSS_TYPES } from "../../src/xml/ns.js";
import { signEnvelope, type SignOptions } from "../../src/wss/sign/sign-envelope.js";
import { computeSignatureValue } from "../../src/wss/sign/xml-signature.js";
import { buildTimestamp } from "../../src/wss/sign/timestamp.js";
import type { CanonicalizationName, DigestName } from "../../src/wss/sign/algorithms.js";

/** A namespace for the attacker's own wrapper elements. */
export const ATTACKER_NS = "urn:example:attacker";
/** The actor/role of a header addressed to some other node (never this gateway). */
export const FOREIGN_ACTOR = "http://example.test/intermediary";

/** The attacker's operation: deleteMultiple of every active record, in `operationNamespace`. */
export function ATTACKER_OPERATION(operationNamespace: string): string {
  return `<evil:deleteMultiple xmlns:evil="${operationNamespace}"><active>true</active></evil:deleteMultiple>`;
}

export interface AttackerIdentity {
  readonly keyPem: string;
  readonly certPem: string;
}

interface Parsed {
  readonly document: Document;
  readonly envelope: Element;
  readonly soapNs: string;
  readonly header: Element;
  readonly body: Element;
}

// ------------------------------------------------------------ signature wrapping

/** The signed Body moves into a new `attack:Wrapper` header block (no actor); an unsigned attacker Body replaces it. */
export function moveSignedBodyIntoHeader(signed: string, replacementContent?: string): string {
  return edit(signed, (parsed) => {
    const wrapper = parsed.document.createElementNS(ATTACKER_NS, "attack:Wrapper");
    parsed.header.appendChild(wrapper);
    wrapper.appendChild(swapInAttackerBody(parsed, replacementContent, { keepId: false }));
  });
}

/** The signed Body moves into the wsse:Security header; an unsigned attacker Body replaces it. */
export function moveSignedBodyIntoSecurity(signed: string, replacementContent?: string): string {
  return edit(signed, (parsed) => {
    const security = securityHeader(parsed);
    security.appendChild(swapInAttackerBody(parsed, replacementContent, { keepId: false }));
  });
}

/** The signed Body moves into a new ds:Object inside the ds:Signature; an unsigned attacker Body replaces it. */
export function moveSignedBodyIntoSignatureObject(signed: string, replacementContent?: string): string {
  return edit(signed, (parsed) => {
    const signature = signatureElement(parsed);
    const object = parsed.document.createElementNS(NS.ds, prefixed(signature, "Object"));
    signature.appendChild(object);
    object.appendChild(swapInAttackerBody(parsed, replacementContent, { keepId: false }));
  });
}

/**
 * The signed Body moves into a header block addressed to another node
 * (soap:actor / soap:role = FOREIGN_ACTOR, mustUnderstand="0"); an unsigned
 * attacker Body replaces it.
 */
export function moveSignedBodyIntoForeignActorHeader(signed: string, replacementContent?: string): string {
  return edit(signed, (parsed) => {
    const wrapper = parsed.document.createElementNS(ATTACKER_NS, "attack:Wrapper");
    const soapPrefix = parsed.envelope.prefix || "soapenv";
    if (!parsed.envelope.prefix) wrapper.setAttributeNS(NS.xmlns, "xmlns:soapenv", parsed.soapNs);
    wrapper.setAttributeNS(parsed.soapNs, `${soapPrefix}:${parsed.soapNs === NS.soap11 ? "actor" : "role"}`, FOREIGN_ACTOR);
    wrapper.setAttributeNS(parsed.soapNs, `${soapPrefix}:mustUnderstand`, "0");
    parsed.header.appendChild(wrapper);
    wrapper.appendChild(swapInAttackerBody(parsed, replacementContent, { keepId: false }));
  });
}

/**
 * Two elements share the signed Body's wsu:Id, the signed copy FIRST in
 * document order: the signed Body sits in an `attack:Wrapper` header block
 * and the dispatched attacker Body carries the same wsu:Id.
 */
export function duplicateIdBefore(signed: string, replacementContent?: string): string {
  return edit(signed, (parsed) => {
    const wrapper = parsed.document.createElementNS(ATTACKER_NS, "attack:Wrapper");
    parsed.header.appendChild(wrapper);
    wrapper.appendChild(swapInAttackerBody(parsed, replacementContent, { keepId: true }));
  });
}

/**
 * Two elements share the signed Body's wsu:Id, the signed copy LAST in
 * document order: the dispatched attacker Body carries the wsu:Id, and the
 * signed Body sits in an `attack:Wrapper` at the end of the attacker's operation.
 */
export function duplicateIdAfter(signed: string, replacementContent?: string): string {
  return edit(signed, (parsed) => {
    const original = swapInAttackerBody(parsed, replacementContent, { keepId: true });
    const attackerBody = bodyOf(parsed.envelope, parsed.soapNs);
    const operation = firstElementChild(attackerBody);
    if (!operation) throw new Error("duplicateIdAfter: the attacker Body has no operation element");
    const wrapper = parsed.document.createElementNS(ATTACKER_NS, "attack:Wrapper");
    operation.appendChild(wrapper);
    wrapper.appendChild(original);
  });
}

// ------------------------------------------------------------ altered content

/** Replaces the first occurrence of `search` in a text node of the Body by `replacement` (the signature is left as is). */
export function replaceBodyContent(signed: string, search: string, replacement: string): string {
  return edit(signed, (parsed) => {
    const textNode = findTextNode(parsed.body, search);
    if (!textNode) throw new Error(`replaceBodyContent: no text "${search}" in the Body`);
    const at = textNode.data.indexOf(search);
    textNode.replaceData(at, search.length, replacement);
  });
}

/** Splits the first ds:DigestValue's text with a comment: `abc<!--x-->def`. */
export function injectCommentIntoDigestValue(signed: string): string {
  return injectComment(signed, "DigestValue");
}

/** Splits the ds:SignatureValue's text with a comment. */
export function injectCommentIntoSignatureValue(signed: string): string {
  return injectComment(signed, "SignatureValue");
}

// ------------------------------------------------------------ key confusion

/**
 * The BinarySecurityToken now holds the attacker's certificate and the
 * SignedInfo (unchanged, so every digest still matches) is re-signed with
 * the attacker's key: a valid signature by a certificate nobody pinned.
 */
export function replaceBstWithAttackerCert(signed: string, attacker: AttackerIdentity): string {
  return edit(signed, (parsed) => {
    const token = firstDescendant(securityHeader(parsed), NS.wsse, "BinarySecurityToken");
    if (!token) throw new Error("replaceBstWithAttackerCert: the envelope has no BinarySecurityToken");
    setText(token, new X509Certificate(attacker.certPem).raw.toString("base64"));
    resign(parsed, attacker.keyPem);
  });
}

/**
 * A second BinarySecurityToken (the attacker's certificate) is added next to
 * the partner's, the SecurityTokenReference is pointed at it, and the
 * SignedInfo is re-signed with the attacker's key. The partner's token stays
 * in the header, unreferenced.
 */
export function pointStrAtOtherToken(signed: string, attacker: AttackerIdentity): string {
  return edit(signed, (parsed) => {
    const security = securityHeader(parsed);
    const id = `X509-attacker-${randomUUID()}`;
    const token = parsed.document.createElementNS(NS.wsse, "wsse:BinarySecurityToken");
    token.setAttributeNS(NS.xmlns, "xmlns:wsse", NS.wsse);
    token.setAttribute("EncodingType", WSS_TYPES.base64Binary);
    token.setAttribute("ValueType", WSS_TYPES.x509v3);
    token.setAttributeNS(NS.xmlns, "xmlns:wsu", NS.wsu);
    token.setAttributeNS(NS.wsu, "wsu:Id", id);
    token.appendChild(parsed.document.createTextNode(new X509Certificate(attacker.certPem).raw.toString("base64")));
    security.insertBefore(token, signatureElement(parsed));
    const keyInfo = firstDescendant(signatureElement(parsed), NS.ds, "KeyInfo");
    if (!keyInfo) throw new Error("pointStrAtOtherToken: the signature has no KeyInfo");
    while (keyInfo.firstChild) keyInfo.removeChild(keyInfo.firstChild);
    const str = parsed.document.createElementNS(NS.wsse, "wsse:SecurityTokenReference");
    str.setAttributeNS(NS.xmlns, "xmlns:wsse", NS.wsse);
    const reference = parsed.document.createElementNS(NS.wsse, "wsse:Reference");
    reference.setAttribute("URI", `#${id}`);
    reference.setAttribute("ValueType", WSS_TYPES.x509v3);
    str.appendChild(reference);
    keyInfo.appendChild(str);
    resign(parsed, attacker.keyPem);
  });
}

/** The SignedInfo (unchanged) is re-signed with another key; KeyInfo still names the partner's certificate. */
export function resignWithKey(signed: string, keyPem: string): string {
  return edit(signed, (parsed) => resign(parsed, keyPem));
}

/**
 * Adds a Transform (e.g. DSIG_ALGORITHMS.transform.xpath) to the Reference
 * of the Body and re-signs the SignedInfo with `keyPem` (the signer's own
 * key), so only the forbidden transform is wrong. The DigestValue is left as
 * it was.
 */
export function addTransformToBodyReference(signed: string, transformUri: string, keyPem: string): string {
  return edit(signed, (parsed) => {
    const bodyId = parsed.body.getAttributeNS(NS.wsu, "Id");
    const reference = descendants(signatureElement(parsed), NS.ds, "Reference").find(
      (candidate) => candidate.getAttribute("URI") === `#${bodyId}`,
    );
    const transforms = reference && firstDescendant(reference, NS.ds, "Transforms");
    if (!transforms) throw new Error("addTransformToBodyReference: no Reference with Transforms for the Body");
    const transform = parsed.document.createElementNS(NS.ds, prefixed(transforms, "Transform"));
    transform.setAttribute("Algorithm", transformUri);
    transforms.insertBefore(transform, transforms.firstChild);
    resign(parsed, keyPem);
  });
}

// ------------------------------------------------------------ partial / extra signatures and tokens

/** A valid signature over the Timestamp only: the Body is left unsigned. */
export function signatureOverTimestampOnly(envelope: string, options: SignOptions): string {
  return signEnvelope(envelope, { timestampSeconds: 300, ...options, signedParts: ["timestamp"] });
}

/**
 * A second ds:Signature (with its own BinarySecurityToken when
 * keyReference is "bst") in the same wsse:Security header, over the Body,
 * made with `options.key` (e.g. an attacker's).
 */
export function addSecondSignature(signed: string, options: SignOptions): string {
  const { timestampSeconds: _ignored, username: _alsoIgnored, ...signingOnly } = options;
  return signEnvelope(signed, { ...signingOnly, signedParts: ["body"] });
}

/** Removes the ds:Signature only: tokens, Timestamp and wsu:Ids stay (an unsigned request with a security header). */
export function removeSignature(signed: string): string {
  return edit(signed, (parsed) => {
    const signature = signatureElement(parsed);
    signature.parentNode!.removeChild(signature);
  });
}

/**
 * A second wsse:Security header holding a fresh wsu:Timestamp (its own Id),
 * for the ultimate receiver by default or for `actor` (soap:actor in 1.1,
 * soap:role in 1.2) when given.
 */
export function addSecondSecurityHeader(signed: string, options: { actor?: string; clock?: Clock } = {}): string {
  return edit(signed, (parsed) => {
    const security = parsed.document.createElementNS(NS.wsse, "wsse:Security");
    security.setAttributeNS(NS.xmlns, "xmlns:wsse", NS.wsse);
    security.setAttributeNS(NS.xmlns, "xmlns:wsu", NS.wsu);
    if (options.actor !== undefined) {
      const soapPrefix = parsed.envelope.prefix || "soapenv";
      if (!parsed.envelope.prefix) security.setAttributeNS(NS.xmlns, "xmlns:soapenv", parsed.soapNs);
      security.setAttributeNS(parsed.soapNs, `${soapPrefix}:${parsed.soapNs === NS.soap11 ? "actor" : "role"}`, options.actor);
    }
    security.appendChild(buildTimestamp(parsed.document, `TS-second-${randomUUID()}`, (options.clock ?? systemClock).now(), 300));
    parsed.header.appendChild(security);
  });
}

/** A second, unsigned wsu:Timestamp (its own Id, Created now) in the wsse:Security header. */
export function addSecondTimestamp(signed: string, options: { clock?: Clock } = {}): string {
  return edit(signed, (parsed) => {
    const security = securityHeader(parsed);
    security.appendChild(buildTimestamp(parsed.document, `TS-second-${randomUUID()}`, (options.clock ?? systemClock).now(), 300));
  });
}

// ------------------------------------------------------------ internals

function edit(xml: string, mutate: (parsed: Parsed) => void): string {
  const parsed = parse(xml);
  mutate(parsed);
  return new XMLSerializer().serializeToString(parsed.document);
}

function parse(xml: string): Parsed {
  const document = new DOMParser({
    onError: (level, message) => {
      if (level !== "warning") throw new Error(`tamper: input is not well-formed: ${String(message)}`);
    },
  }).parseFromString(xml, "text/xml");
  const envelope = document.documentElement;
  const soapNs = envelope?.namespaceURI ?? "";
  if (!envelope || envelope.localName !== "Envelope" || (soapNs !== NS.soap11 && soapNs !== NS.soap12)) {
    throw new Error("tamper: input is not a SOAP Envelope");
  }
  const header = childElements(envelope).find((child) => child.namespaceURI === soapNs && child.localName === "Header");
  if (!header) throw new Error("tamper: the envelope has no Header");
  return { document, envelope, soapNs, header, body: bodyOf(envelope, soapNs) };
}

function bodyOf(envelope: Element, soapNs: string): Element {
  const body = childElements(envelope).find((child) => child.namespaceURI === soapNs && child.localName === "Body");
  if (!body) throw new Error("tamper: the envelope has no Body");
  return body;
}

/**
 * Detaches the signed Body and puts in its place a new Body (same prefix)
 * with the attacker's content; returns the detached signed Body.
 */
function swapInAttackerBody(parsed: Parsed, replacementContent: string | undefined, options: { keepId: boolean }): Element {
  const original = parsed.body;
  const operationNamespace = firstElementChild(original)?.namespaceURI ?? "urn:unknown";
  const content = replacementContent ?? ATTACKER_OPERATION(operationNamespace);
  const attackerBody = parsed.document.createElementNS(parsed.soapNs, original.tagName);
  const id = original.getAttributeNS(NS.wsu, "Id");
  if (options.keepId && id) {
    attackerBody.setAttributeNS(NS.xmlns, "xmlns:wsu", NS.wsu);
    attackerBody.setAttributeNS(NS.wsu, "wsu:Id", id);
  }
  const fragment = new DOMParser().parseFromString(`<fragment>${content}</fragment>`, "text/xml").documentElement!;
  for (let child = fragment.firstChild; child; child = child.nextSibling) {
    attackerBody.appendChild(parsed.document.importNode(child, true));
  }
  parsed.envelope.replaceChild(attackerBody, original);
  return original;
}

function resign(parsed: Parsed, keyPem: string): void {
  const signature = signatureElement(parsed);
  const signedInfo = firstDescendant(signature, NS.ds, "SignedInfo")!;
  const algorithm = firstDescendant(signedInfo, NS.ds, "SignatureMethod")?.getAttribute("Algorithm") ?? "";
  const c14n = firstDescendant(signedInfo, NS.ds, "CanonicalizationMethod")?.getAttribute("Algorithm") ?? "";
  const hash = (/(sha1|sha256|sha384|sha512)$/.exec(algorithm)?.[1] ?? "sha256") as DigestName;
  const canonicalization: CanonicalizationName = c14n.includes("exc-c14n") ? "exclusive" : "inclusive";
  const key = createPrivateKey(keyPem);
  computeSignatureValue(signature, key, key.asymmetricKeyType === "ec" ? "ec" : "rsa", hash, canonicalization);
}

function injectComment(signed: string, localName: "DigestValue" | "SignatureValue"): string {
  return edit(signed, (parsed) => {
    const target = firstDescendant(signatureElement(parsed), NS.ds, localName);
    const text = target?.textContent ?? "";
    if (!target || text.length < 2) throw new Error(`tamper: no ds:${localName} to split`);
    const middle = Math.floor(text.length / 2);
    setText(target, text.slice(0, middle));
    target.appendChild(parsed.document.createComment("attacker"));
    target.appendChild(parsed.document.createTextNode(text.slice(middle)));
  });
}

function securityHeader(parsed: Parsed): Element {
  const security = childElements(parsed.header).find((child) => child.namespaceURI === NS.wsse && child.localName === "Security");
  if (!security) throw new Error("tamper: the envelope has no wsse:Security header");
  return security;
}

function signatureElement(parsed: Parsed): Element {
  const signature = firstDescendant(securityHeader(parsed), NS.ds, "Signature");
  if (!signature) throw new Error("tamper: the wsse:Security header has no ds:Signature");
  return signature;
}

function childElements(parent: Element): Element[] {
  const children: Element[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) if (child.nodeType === 1) children.push(child as Element);
  return children;
}

function firstElementChild(parent: Element): Element | undefined {
  return childElements(parent)[0];
}

function descendants(root: Element, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName)) as Element[];
}

function firstDescendant(root: Element, namespace: string, localName: string): Element | undefined {
  return descendants(root, namespace, localName)[0];
}

function findTextNode(root: Element, search: string): Text | undefined {
  for (let child = root.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 3 && (child as Text).data.includes(search)) return child as Text;
    if (child.nodeType === 1) {
      const found = findTextNode(child as Element, search);
      if (found) return found;
    }
  }
  return undefined;
}

function setText(target: Element, text: string): void {
  while (target.firstChild) target.removeChild(target.firstChild);
  target.appendChild(target.ownerDocument!.createTextNode(text));
}

/** `localName` with the prefix of `sibling` (e.g. "ds:Object" next to "ds:Signature"), or unprefixed. */
function prefixed(sibling: Element, localName: string): string {
  return sibling.prefix ? `${sibling.prefix}:${localName}` : localName;
}
