/**
 * Reads the SOAP structure of the one parsed document: one Envelope (1.1 or
 * 1.2), at most one Header before exactly one Body, nothing else inside the
 * Envelope and nothing after it. Elements are found by namespace and
 * position; the `body` returned is the very element that is later verified
 * and dispatched.
 */
import type { Document, Element } from "../xml/tree.js";
import { isWhitespaceText, nodesAfter } from "../xml/navigate.js";
import { NS } from "../xml/ns.js";

export type SoapVersion = "1.1" | "1.2";

export interface SoapEnvelope {
  readonly version: SoapVersion;
  readonly document: Document;
  readonly envelope: Element;
  readonly header: Element | undefined;
  readonly body: Element;
}

export type EnvelopeResult = { readonly kind: "envelope"; readonly envelope: SoapEnvelope } | { readonly kind: "malformed"; readonly reason: string };

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

export function readEnvelope(document: Document): EnvelopeResult {
  const root = document.documentElement;
  if (!root || root.localName !== "Envelope") return malformed("root element is not a SOAP Envelope");
  const version = versionOf(root.namespaceURI);
  if (!version) return malformed("Envelope is not in a SOAP 1.1 or 1.2 namespace");

  const afterRoot = nodesAfter(root);
  if (afterRoot.some((node) => node.nodeType !== COMMENT_NODE && !isWhitespaceText(node))) {
    return malformed("content after the Envelope");
  }

  const soapNs = root.namespaceURI!;
  let header: Element | undefined;
  let body: Element | undefined;
  for (let child = root.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) {
      const element = child as Element;
      if (element.namespaceURI === soapNs && element.localName === "Header" && !header && !body) header = element;
      else if (element.namespaceURI === soapNs && element.localName === "Body" && !body) body = element;
      else return malformed(`unexpected element ${element.localName} in the Envelope`);
    } else if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) {
      if (!isWhitespaceText(child)) return malformed("text directly inside the Envelope");
    } else if (child.nodeType === PROCESSING_INSTRUCTION_NODE) {
      return malformed("processing instruction inside the Envelope");
    }
  }
  if (!body) return malformed("no SOAP Body");
  return { kind: "envelope", envelope: { version, document, envelope: root, header, body } };
}

export function soapNamespace(version: SoapVersion): string {
  return version === "1.1" ? NS.soap11 : NS.soap12;
}

function versionOf(namespace: string | null): SoapVersion | undefined {
  if (namespace === NS.soap11) return "1.1";
  if (namespace === NS.soap12) return "1.2";
  return undefined;
}

function malformed(reason: string): EnvelopeResult {
  return { kind: "malformed", reason };
}
