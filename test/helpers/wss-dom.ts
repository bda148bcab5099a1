/**
 * Tampering with signed envelopes for the attack tests: parse, move or edit
 * nodes with the DOM, serialize. Elements are found by namespace and local name.
 *
 *   const dom = tamperable(signed);
 *   const body = dom.one(NS.soap11, "Body");
 *   ...
 *   const attacked = dom.xml();
 */
import { createPrivateKey } from "node:crypto";
import { DOMParser, XMLSerializer, type Document, type Element } from "@xmldom/xmldom";
import { computeSignatureValue } from "../../src/wss/sign/index.js";

export interface Tamperable {
  readonly document: Document;
  /** The only element with this name (throws when there is not exactly one). */
  one(namespace: string, localName: string): Element;
  all(namespace: string, localName: string): Element[];
  /** Parses `xml` (one element, namespaces declared in it) and imports it into the document. */
  fragment(xml: string): Element;
  xml(): string;
}

export function tamperable(xml: string): Tamperable {
  const document = new DOMParser().parseFromString(xml, "text/xml");
  const all = (namespace: string, localName: string): Element[] => Array.from(document.getElementsByTagNameNS(namespace, localName));
  return {
    document,
    all,
    one(namespace, localName) {
      const found = all(namespace, localName);
      if (found.length !== 1) throw new Error(`expected one ${localName}, found ${found.length}`);
      return found[0]!;
    },
    fragment(fragmentXml) {
      const parsed = new DOMParser().parseFromString(fragmentXml, "text/xml").documentElement!;
      return document.importNode(parsed, true) as Element;
    },
    xml: () => new XMLSerializer().serializeToString(document),
  };
}

/**
 * Recomputes the SignatureValue of `signature` (exclusive c14n of SignedInfo)
 * with `keyPem`, after a test edited SignedInfo — so that a refusal proves
 * the rule under test, not a broken signature.
 */
export function resign(signature: Element, keyPem: string, hash: "sha1" | "sha256" = "sha256"): void {
  const key = createPrivateKey(keyPem);
  const keyType = key.asymmetricKeyType === "ec" ? "ec" : "rsa";
  computeSignatureValue(signature, key, keyType, hash, "exclusive");
}
