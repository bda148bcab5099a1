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

/**
 * Parses an xsd:dateTime that names its time zone: "Z" (what BSP asks for)
 * or an offset such as "+00:00" (what zeep sends). Without a zone the
 * instant is unknown, so it is refused, as are impossible dates.
 *
 * The grammar, read by position (every request carries two of these):
 * `YYYY-MM-DDTHH:MM:SS(.f{1,9})?(Z|[+-]HH:MM)` in ASCII digits, after trim().
 */
export function parseZonedDateTime(text: string): Date | undefined {
  const value = text.trim();
  const century = twoDigits(value, 0);
  const yearOfCentury = twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  const second = twoDigits(value, 17);
  if (
    century < 0 || yearOfCentury < 0 || day < 0 || second < 0 ||
    value.charCodeAt(4) !== HYPHEN || value.charCodeAt(7) !== HYPHEN || value.charCodeAt(10) !== LETTER_T ||
    value.charCodeAt(13) !== COLON || value.charCodeAt(16) !== COLON
  ) {
    return undefined;
  }
  if (month < 1 || month > 12 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second > 59) return undefined;

  let at = 19;
  let milliseconds = 0;
  if (value.charCodeAt(at) === FULL_STOP) {
    const first = ++at;
    while (isDigit(value.charCodeAt(at))) {
      if (at - first < 3) milliseconds = milliseconds * 10 + (value.charCodeAt(at) - DIGIT_ZERO);
      at++;
    }
    const digits = at - first;
    if (digits < 1 || digits > 9) return undefined;
    for (let scale = digits; scale < 3; scale++) milliseconds *= 10;
  }

  let offsetMinutes = 0;
  const zone = value.charCodeAt(at);
  if (zone === LETTER_Z && at + 1 === value.length) {
    offsetMinutes = 0;
  } else if ((zone === PLUS || zone === HYPHEN) && at + 6 === value.length && value.charCodeAt(at + 3) === COLON) {
    const offsetHours = twoDigits(value, at + 1);
    const offsetRest = twoDigits(value, at + 4);
    if (offsetHours < 0 || offsetRest < 0 || offsetHours > 14 || offsetRest > 59) return undefined;
    offsetMinutes = (zone === HYPHEN ? -1 : 1) * (offsetHours * 60 + offsetRest);
  } else {
    return undefined;
  }

  const utc = Date.UTC(century * 100 + yearOfCentury, month - 1, day, hour, minute, second, milliseconds);
  if (new Date(utc).getUTCDate() !== day) return undefined;
  return new Date(utc - offsetMinutes * 60_000);
}

const DIGIT_ZERO = 0x30;
const HYPHEN = 0x2d;
const PLUS = 0x2b;
const COLON = 0x3a;
const FULL_STOP = 0x2e;
const LETTER_T = 0x54;
const LETTER_Z = 0x5a;

function isDigit(unit: number): boolean {
  return unit >= DIGIT_ZERO && unit <= DIGIT_ZERO + 9;
}

/** The number written by the two ASCII digits at `at`, or -1 (also past the end). */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at);
  const units = text.charCodeAt(at + 1);
  return isDigit(tens) && isDigit(units) ? (tens - DIGIT_ZERO) * 10 + (units - DIGIT_ZERO) : -1;
}

function unreadable(reason: string): TimestampResult {
  return { kind: "unreadable", reason };
}
