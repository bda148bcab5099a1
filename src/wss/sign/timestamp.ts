/** The `wsu:Timestamp` a client adds: Created = now, Expires = now + ttlSeconds. */
import type { Document, Element } from "@xmldom/xmldom";
import { NS } from "../../xml/ns.js";
import { element } from "./dom-builder.js";

export function buildTimestamp(document: Document, id: string, now: Date, ttlSeconds: number): Element {
  const expires = new Date(now.getTime() + ttlSeconds * 1000);
  return element(document, NS.wsu, "wsu:Timestamp", { "wsu:Id": id }, [
    element(document, NS.wsu, "wsu:Created", {}, [xsdDateTime(now)]),
    element(document, NS.wsu, "wsu:Expires", {}, [xsdDateTime(expires)]),
  ]);
}

/** UTC with milliseconds, as WSS4J writes it: 2024-05-01T12:00:00.000Z. */
export function xsdDateTime(instant: Date): string {
  return instant.toISOString();
}
