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

/** The operation response as text (tests, tools); the gateway sends `encodeOperationResponse`'s bytes. */
export function serializeOperationResponse(version: SoapVersion, table: string, operation: string, items: readonly ResponseItem[]): string {
  return encodeOperationResponse(version, table, operation, items).toString("utf8");
}

/**
 * The operation response as UTF-8 bytes, in one pass over the items. The
 * text is appended to a short string that is encoded every 16 K characters
 * (the chunks are joined once at the end), never joined into one long
 * string: a 1 MB
 * insertMultiple's 4,318 insertResponse elements made a rope of ~250,000
 * pieces that stayed alive (and were copied by every young-generation GC)
 * until the HTTP layer flattened it to count its bytes
 * (docs/performance.md, "After the decision").
 */
export function encodeOperationResponse(version: SoapVersion, table: string, operation: string, items: readonly ResponseItem[]): Buffer {
  const sink = new Utf8Sink();
  const [open, close] = envelopeParts(version);
  sink.add(open + `<ns:${operation}Response xmlns:ns="${escapeAttribute(tableNamespace(table))}">`);
  appendItems(sink, items);
  sink.add(`</ns:${operation}Response>` + close);
  return sink.finish();
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
function appendItems(sink: Utf8Sink, items: readonly ResponseItem[]): void {
  for (const item of items) {
    if ("children" in item) {
      sink.add("<" + item.name + ">");
      appendItems(sink, item.children);
      sink.add("</" + item.name + ">");
    } else sink.add("<" + item.name + ">" + escapeText(item.value) + "</" + item.name + ">");
  }
}

/** Text appended in small pieces, collected as UTF-8 bytes. */
class Utf8Sink {
  /** Characters gathered before they are encoded. */
  private static readonly FLUSH_CHARS = 16 * 1024;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private pending = "";

  add(text: string): void {
    this.pending += text;
    if (this.pending.length >= Utf8Sink.FLUSH_CHARS) this.flush();
  }

  finish(): Buffer {
    this.flush();
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
  }

  private flush(): void {
    if (this.pending === "" && this.chunks.length > 0) return;
    const chunk = Buffer.from(this.pending, "utf8");
    this.pending = "";
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }
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
