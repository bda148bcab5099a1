/**
 * The client-side view of an envelope to sign: parses it, detects the SOAP
 * version, and finds (or creates) the Header and the wsse:Security header
 * addressed to the ultimate receiver.
 */
import { DOMParser, XMLSerializer, type Document, type Element } from "@xmldom/xmldom";
import { NS } from "../../xml/ns.js";
import { childElement, element } from "./dom-builder.js";
import { SignError } from "./sign-error.js";

export interface EnvelopeDom {
  readonly document: Document;
  readonly soapNamespace: string;
  readonly envelope: Element;
  readonly body: Element;
}

export function parseEnvelope(xml: string): EnvelopeDom {
  let document: Document;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        if (level !== "warning") throw new SignError(`the input is not well-formed XML: ${String(message).split("\n")[0]}`);
      },
    }).parseFromString(xml, "text/xml");
  } catch (error) {
    throw error instanceof SignError ? error : new SignError("the input is not well-formed XML");
  }
  const envelope = document.documentElement;
  const soapNamespace = envelope?.namespaceURI ?? "";
  if (!envelope || envelope.localName !== "Envelope" || (soapNamespace !== NS.soap11 && soapNamespace !== NS.soap12)) {
    throw new SignError("the input is not a SOAP 1.1 or 1.2 Envelope");
  }
  const body = childElement(envelope, soapNamespace, "Body");
  if (!body) throw new SignError("the SOAP Envelope has no Body");
  return { document, soapNamespace, envelope, body };
}

/** The Header, created before the Body (with the Envelope's prefix) when missing. */
export function ensureHeader(dom: EnvelopeDom): Element {
  const existing = childElement(dom.envelope, dom.soapNamespace, "Header");
  if (existing) return existing;
  const header = element(dom.document, dom.soapNamespace, qualified(dom.envelope.prefix, "Header"));
  dom.envelope.insertBefore(header, dom.body);
  return header;
}

/**
 * The wsse:Security header for the ultimate receiver (no actor/role), reused
 * when present, else created first in the Header with mustUnderstand="1".
 */
export function ensureSecurityHeader(dom: EnvelopeDom, mustUnderstand: boolean): Element {
  const header = ensureHeader(dom);
  for (let child = header.firstChild; child; child = child.nextSibling) {
    if (child.nodeType !== 1) continue;
    const candidate = child as Element;
    if (candidate.namespaceURI !== NS.wsse || candidate.localName !== "Security") continue;
    const target = candidate.getAttributeNS(dom.soapNamespace, dom.soapNamespace === NS.soap11 ? "actor" : "role");
    if (!target) return candidate;
  }
  const security = element(dom.document, NS.wsse, "wsse:Security", { "xmlns:wsse": NS.wsse, "xmlns:wsu": NS.wsu });
  if (mustUnderstand) {
    const envelopePrefix = dom.envelope.prefix;
    if (!envelopePrefix) security.setAttributeNS(NS.xmlns, "xmlns:soapenv", dom.soapNamespace);
    security.setAttributeNS(dom.soapNamespace, qualified(envelopePrefix || "soapenv", "mustUnderstand"), "1");
  }
  header.insertBefore(security, header.firstChild);
  return security;
}

export function serializeEnvelope(dom: EnvelopeDom): string {
  // xmldom writes a carriage return in text as a raw character, which every parser reads back as a
  // line feed, so a signed text holding &#13; would no longer match its digest. Attribute values are
  // escaped already; comments and CDATA of a parsed document cannot hold one (line ends are normalized).
  return new XMLSerializer().serializeToString(dom.document).replace(/\r/g, "&#13;");
}

function qualified(prefix: string | null | undefined, localName: string): string {
  return prefix ? `${prefix}:${localName}` : localName;
}
