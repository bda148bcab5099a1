/**
 * Serializes operation responses and faults as SOAP 1.1 or 1.2 envelopes.
 * The response element is `{operation}Response` in the table's namespace,
 * bound to a prefix so that its children stay unqualified (SPEC §4).
 */
import type { OperationResponse, ResponseItem } from "../operations/index.js";
import { NS, tableNamespace } from "../xml/ns.js";
import type { SoapVersion } from "./envelope.js";
import { soapNamespace } from "./envelope.js";
import type { SoapFault } from "./faults.js";
import { escapeText, ResponseWriter } from "./response-writer.js";

export { escapeText };

/** The operation response as text (tests, tools); the gateway sends `encodeOperationResponse`'s bytes. */
export function serializeOperationResponse(version: SoapVersion, table: string, operation: string, items: readonly ResponseItem[]): string {
  return encodeOperationResponse(version, table, operation, items).toString("utf8");
}

/** The operation response as UTF-8 bytes, in one pass over the items (`ResponseWriter`). */
export function encodeOperationResponse(version: SoapVersion, table: string, operation: string, items: readonly ResponseItem[]): Buffer {
  return encodeResponse(version, table, operation, { items });
}

/**
 * `encodeOperationResponse` of an operation's response: its `writeItems`
 * when it has one (the same bytes as its `items`, written without making
 * them), else its items.
 */
export function encodeResponse(version: SoapVersion, table: string, operation: string, response: OperationResponse): Buffer {
  const out = new ResponseWriter();
  const [open, close] = envelopeParts(version);
  out.markup(open + `<ns:${operation}Response xmlns:ns="${escapeAttribute(tableNamespace(table))}">`);
  if (response.writeItems !== undefined) response.writeItems(out);
  else writeItems(out, response.items);
  out.markup(`</ns:${operation}Response>` + close);
  return out.finish();
}

export function serializeFault(version: SoapVersion, fault: SoapFault): string {
  const { code } = fault.definition;
  const reason = escapeText(fault.message);
  const namespaces = codeNamespaceDeclaration(code);
  const soapCode = code === "Client" || code === "Server" || code === "MustUnderstand";
  if (version === "1.1") {
    const faultcode = soapCode ? `soapenv:${code}` : code;
    return envelope(version, `<soapenv:Fault${namespaces}><faultcode>${faultcode}</faultcode><faultstring>${reason}</faultstring></soapenv:Fault>`);
  }
  const value = code === "Server" ? "soapenv:Receiver" : code === "MustUnderstand" ? "soapenv:MustUnderstand" : "soapenv:Sender";
  const subcode = soapCode ? "" : `<soapenv:Subcode><soapenv:Value>${code}</soapenv:Value></soapenv:Subcode>`;
  return envelope(
    version,
    `<soapenv:Fault${namespaces}><soapenv:Code><soapenv:Value>${value}</soapenv:Value>${subcode}</soapenv:Code>` +
      `<soapenv:Reason><soapenv:Text xml:lang="en">${reason}</soapenv:Text></soapenv:Reason></soapenv:Fault>`,
    code === "MustUnderstand" ? notUnderstoodHeader(fault) : "",
  );
}

/**
 * SOAP 1.2's NotUnderstood header block (one per block not understood): its
 * `qname` names the block with the client's prefix, declared on the element
 * itself (another prefix when the client's is ours, `soapenv`).
 */
function notUnderstoodHeader(fault: SoapFault): string {
  const header = fault.params.header;
  if (!header) return "";
  const localName = header.qname.slice(header.qname.indexOf(":") + 1);
  if (header.namespace === undefined) return `<soapenv:NotUnderstood qname="${escapeAttribute(localName)}"/>`;
  const prefix = header.prefix === undefined || header.prefix === "soapenv" ? "nu" : header.prefix;
  return `<soapenv:NotUnderstood qname="${prefix}:${escapeAttribute(localName)}" xmlns:${prefix}="${escapeAttribute(header.namespace)}"/>`;
}

export function soapContentType(version: SoapVersion): string {
  return version === "1.1" ? "text/xml; charset=utf-8" : "application/soap+xml; charset=utf-8";
}

function envelope(version: SoapVersion, bodyContent: string, headerContent = ""): string {
  const [open, close] = envelopeParts(version, headerContent);
  return open + bodyContent + close;
}

/** The envelope's text before and after the Body's content. */
function envelopeParts(version: SoapVersion, headerContent = ""): [string, string] {
  const header = headerContent === "" ? "" : `<soapenv:Header>${headerContent}</soapenv:Header>`;
  return [`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${soapNamespace(version)}">${header}<soapenv:Body>`, "</soapenv:Body></soapenv:Envelope>"];
}

function codeNamespaceDeclaration(code: string): string {
  if (code.startsWith("wsse:")) return ` xmlns:wsse="${NS.wsse}"`;
  if (code.startsWith("wsu:")) return ` xmlns:wsu="${NS.wsu}"`;
  return "";
}

/** Item names are column and operation names (safe XML names, validated with the configuration); values are escaped. */
function writeItems(out: ResponseWriter, items: readonly ResponseItem[]): void {
  for (const item of items) {
    if ("children" in item) {
      out.markup("<" + item.name + ">");
      writeItems(out, item.children);
      out.markup("</" + item.name + ">");
    } else out.element("<" + item.name + ">", item.value, "</" + item.name + ">");
  }
}

/** An attribute value in double quotes: as `escapeText`, plus `"`, and TAB and LF (which attribute-value normalization would turn into spaces). */
export function escapeAttribute(value: string): string {
  return escapeText(value).replace(/["\t\n]/g, (c) => (c === '"' ? "&quot;" : c === "\t" ? "&#9;" : "&#10;"));
}
