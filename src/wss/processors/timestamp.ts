/**
 * Processor: reads the `wsu:Timestamp` of our Security header into a typed
 * value. At most one Timestamp; it holds exactly one Created and at most one
 * Expires (BSP R3203, R3224), both xsd:dateTime with a time zone.
 */
import type { Element } from "../../xml/tree.js";
import { elementChildren, strictText } from "../../xml/navigate.js";
import { NS } from "../../xml/ns.js";

export interface Timestamp {
  readonly element: Element;
  readonly created: Date;
  readonly expires: Date | undefined;
}

export type TimestampResult =
  | { readonly kind: "absent" }
  | { readonly kind: "timestamp"; readonly timestamp: Timestamp }
  | { readonly kind: "unreadable"; readonly reason: string };

export function readTimestamp(timestamps: readonly Element[]): TimestampResult {
  if (timestamps.length === 0) return { kind: "absent" };
  if (timestamps.length > 1) return unreadable(`${timestamps.length} wsu:Timestamp elements in the Security header`);
  const element = timestamps[0]!;
  const createdElements: Element[] = [];
  const expiresElements: Element[] = [];
  for (const child of elementChildren(element)) {
    if (child.namespaceURI === NS.wsu && child.localName === "Created") createdElements.push(child);
    else if (child.namespaceURI === NS.wsu && child.localName === "Expires") expiresElements.push(child);
    else return unreadable(`unexpected element ${child.localName} in wsu:Timestamp`);
  }
  if (createdElements.length !== 1) return unreadable("wsu:Timestamp needs exactly one wsu:Created");
  if (expiresElements.length > 1) return unreadable("wsu:Timestamp has more than one wsu:Expires");
  const created = parseZonedDateTime(strictText(createdElements[0]!) ?? "");
  if (!created) return unreadable("wsu:Created is not an xsd:dateTime with a time zone");
  let expires: Date | undefined;
  if (expiresElements[0]) {
    expires = parseZonedDateTime(strictText(expiresElements[0]) ?? "");
    if (!expires) return unreadable("wsu:Expires is not an xsd:dateTime with a time zone");
  }
  return { kind: "timestamp", timestamp: { element, created, expires } };
}

const DATE_TIME_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an xsd:dateTime that names its time zone: "Z" (what BSP asks for)
 * or an offset such as "+00:00" (what zeep sends). Without a zone the
 * instant is unknown, so it is refused, as are impossible dates.
 */
export function parseZonedDateTime(text: string): Date | undefined {
  const match = DATE_TIME_WITH_ZONE.exec(text.trim());
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6]);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const milliseconds = match[7] ? Number(match[7].slice(0, 3).padEnd(3, "0")) : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, milliseconds);
  if (new Date(utc).getUTCDate() !== day) return undefined;
  const zone = match[8]!;
  let offsetMinutes = 0;
  if (zone !== "Z") {
    const [offsetHours, offsetRest] = zone.slice(1).split(":").map(Number) as [number, number];
    if (offsetHours > 14 || offsetRest > 59) return undefined;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  return new Date(utc - offsetMinutes * 60_000);
}

function unreadable(reason: string): TimestampResult {
  return { kind: "unreadable", reason };
}
