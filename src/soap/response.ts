/**
 * Serializes operation responses and faults as SOAP 1.1 or 1.2 envelopes.
 * The response element is `{operation}Response` in the table's namespace,
 * bound to a prefix so that its children stay unqualified (SPEC §4).
 */
import type { ResponseItem } from "../operations/index.js";
import { NS, tableNamespace } from "../xml/ns.js";
import type { SoapVersion } from "./envelope.js";
import { soapNamespace } from "./envelope.js";
import type { SoapFault } from "./faults.js";

/**
 * One pass over the items, appending to one string (V8 joins the pieces
 * once, when the response is written): measured 2–2.5× faster than an array
 * of parts joined for a 1 MB insertMultiple's 5,000 insertResponse elements.
 */
export function serializeOperationResponse(version: SoapVersion, table: string, operation: string, items: readonly ResponseItem[]): string {
  return envelope(
    version,
    `<ns:${operation}Response xmlns:ns="${escapeAttribute(tableNamespace(table))}">${itemsXml(items)}</ns:${operation}Response>`,
  );
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
  const header = headerContent === "" ? "" : `<soapenv:Header>${headerContent}</soapenv:Header>`;
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${soapNamespace(version)}">${header}<soapenv:Body>${bodyContent}</soapenv:Body></soapenv:Envelope>`;
}

function codeNamespaceDeclaration(code: string): string {
  if (code.startsWith("wsse:")) return ` xmlns:wsse="${NS.wsse}"`;
  if (code.startsWith("wsu:")) return ` xmlns:wsu="${NS.wsu}"`;
  return "";
}

/** Item names are column and operation names (safe XML names, validated with the configuration); values are escaped. */
function itemsXml(items: readonly ResponseItem[]): string {
  let xml = "";
  for (const item of items) {
    if ("children" in item) xml += "<" + item.name + ">" + itemsXml(item.children) + "</" + item.name + ">";
    else xml += "<" + item.name + ">" + escapeText(item.value) + "</" + item.name + ">";
  }
  return xml;
}

/**
 * Character data: `&`, `<`, `>` as entities, and CR as `&#13;` (a literal
 * CR would reach the client as LF, XML 1.0 §2.11). Returns `value` itself
 * when nothing needs escaping.
 */
export function escapeText(value: string): string {
  let escaped = "";
  let copied = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    let entity: string;
    if (code === 0x26) entity = "&amp;";
    else if (code === 0x3c) entity = "&lt;";
    else if (code === 0x3e) entity = "&gt;";
    else if (code === 0x0d) entity = "&#13;";
    else continue;
    escaped += value.slice(copied, index) + entity;
    copied = index + 1;
  }
  return copied === 0 ? value : escaped + value.slice(copied);
}

/** An attribute value in double quotes: as `escapeText`, plus `"`, and TAB and LF (which attribute-value normalization would turn into spaces). */
export function escapeAttribute(value: string): string {
  return escapeText(value).replace(/["\t\n]/g, (c) => (c === '"' ? "&quot;" : c === "\t" ? "&#9;" : "&#10;"));
}
