/**
 * What `call` reads in the documents it receives: the WSDL's ports (which
 * one speaks SOAP 1.1 or 1.2, at which address) and a SOAP Fault's code and
 * string (SOAP 1.1 faultcode/faultstring; SOAP 1.2 Code — its Subcode when
 * present, where the wsse code is — and Reason).
 */
import { DOMParser, type Element } from "@xmldom/xmldom";
import { NS } from "../xml/ns.js";

export interface WsdlPort {
  readonly service: string;
  readonly port: string;
  readonly soapVersion: "1.1" | "1.2";
  readonly location: string;
}

export interface WsdlSummary {
  readonly targetNamespace: string;
  readonly ports: readonly WsdlPort[];
}

export function readWsdlPorts(wsdl: string): WsdlSummary {
  const root = parse(wsdl);
  const ports: WsdlPort[] = [];
  for (const service of children(root, NS.wsdl, "service")) {
    for (const port of children(service, NS.wsdl, "port")) {
      const v11 = children(port, NS.wsdlSoap11, "address")[0];
      const v12 = children(port, NS.wsdlSoap12, "address")[0];
      const address = v11 ?? v12;
      if (!address) continue;
      ports.push({
        service: service.getAttribute("name") ?? "",
        port: port.getAttribute("name") ?? "",
        soapVersion: v11 ? "1.1" : "1.2",
        location: address.getAttribute("location") ?? "",
      });
    }
  }
  return { targetNamespace: root?.getAttribute("targetNamespace") ?? "", ports };
}

export interface FaultSummary {
  readonly code: string;
  readonly string: string;
}

/** The Fault in a SOAP response body, if it holds one. */
export function readSoapFault(body: string): FaultSummary | undefined {
  const envelope = parse(body);
  if (!envelope || envelope.localName !== "Envelope") return undefined;
  const soapNs = envelope.namespaceURI;
  if (soapNs !== NS.soap11 && soapNs !== NS.soap12) return undefined;
  const fault = children(children(envelope, soapNs, "Body")[0], soapNs, "Fault")[0];
  if (!fault) return undefined;
  if (soapNs === NS.soap11) {
    return { code: text(children(fault, null, "faultcode")[0]), string: text(children(fault, null, "faultstring")[0]) };
  }
  const code = children(fault, soapNs, "Code")[0];
  const subcode = children(code, soapNs, "Subcode")[0];
  const value = children(subcode ?? code, soapNs, "Value")[0];
  return { code: text(value), string: text(children(children(fault, soapNs, "Reason")[0], soapNs, "Text")[0]) };
}

function parse(xml: string): Element | undefined {
  try {
    const document = new DOMParser({ onError: () => undefined }).parseFromString(xml, "text/xml");
    return document.documentElement ?? undefined;
  } catch {
    return undefined;
  }
}

function children(parent: Element | undefined, namespace: string | null, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent?.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const element = node as Element;
    if (element.localName === localName && (element.namespaceURI ?? null) === namespace) found.push(element);
  }
  return found;
}

function text(element: Element | undefined): string {
  return (element?.textContent ?? "").trim();
}
