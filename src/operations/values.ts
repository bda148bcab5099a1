/**
 * Column values between their XML text and their stored form (SPEC §2
 * column types). Every value a request carries, whether written or used in a
 * filter, goes through `parseColumnValue`, so types and lengths are checked
 * in one place.
 */
import type { ColumnDef } from "../config/types.js";
import { clientFault } from "../soap/faults.js";
import type { PresentValue, StoredValue } from "../store/types.js";

/** How much client text a fault message may echo. */
const MAX_ECHOED_CHARS = 60;
/** A decimal keeps at most this many significant digits, so it survives a double. */
const MAX_DECIMAL_DIGITS = 15;

/** Quotes client-supplied text for a fault message: shortened, control characters replaced. */
export function quoteClientText(text: string): string {
  const chars = [...text];
  const shown = chars.slice(0, MAX_ECHOED_CHARS).join("").replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return `'${shown}${chars.length > MAX_ECHOED_CHARS ? "…" : ""}'`;
}

/**
 * Parses a column value from request text. Strings are kept verbatim; the
 * other types ignore surrounding whitespace (as XML Schema does). Empty text
 * is the empty string for a string column and null (empty) for the others.
 */
export function parseColumnValue(column: ColumnDef, text: string): StoredValue {
  if (column.type === "string") return parseStringValue(column, text);
  const trimmed = text.trim();
  if (trimmed === "") return null;
  return parsePresentValue(column, trimmed);
}

/** Like `parseColumnValue`, for a value that may not be empty (a comparison operand). */
export function parsePresentValue(column: ColumnDef, text: string): PresentValue {
  switch (column.type) {
    case "string":
      return parseStringValue(column, text);
    case "integer":
      return parseInteger(column, text.trim());
    case "decimal":
      return parseDecimal(column, text.trim());
    case "boolean":
      return parseBoolean(column, text.trim());
    case "datetime":
      return parseDatetime(column, text.trim());
    default: {
      const unreachable: never = column.type;
      throw new Error(`unknown column type ${String(unreachable)}`);
    }
  }
}

/** The response text of a stored value; an empty value is the empty string. */
export function formatStoredValue(value: StoredValue): string {
  if (value === null) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatNumber(value);
  return value;
}

/** A number without exponent notation, rounded to the digits a decimal keeps. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return String(value);
  const rounded = Number(value.toPrecision(MAX_DECIMAL_DIGITS));
  const plain = String(rounded);
  if (!/e/i.test(plain)) return plain;
  return rounded.toFixed(20).replace(/\.?0+$/, "");
}

/** The canonical stored form of an instant: UTC `YYYY-MM-DD HH:MM:SS`. */
export function formatDatetime(instant: Date): string {
  return instant.toISOString().slice(0, 19).replace("T", " ");
}

const SYS_ID = /^[0-9a-f]{32}$/;

/** The `sys_id` of get, update and deleteRecord: 32 lowercase hex characters. */
export function parseSysId(text: string | undefined): string {
  if (text === undefined) throw clientFault("Missing sys_id");
  const trimmed = text.trim();
  if (!SYS_ID.test(trimmed)) {
    throw clientFault(`Invalid sys_id ${quoteClientText(trimmed)}: expected 32 lowercase hexadecimal characters`);
  }
  return trimmed;
}

/** `max_length` counts characters (code points): never more than UTF-16 units, so only a longer text is counted. */
function parseStringValue(column: ColumnDef, text: string): string {
  if (column.maxLength !== undefined && text.length > column.maxLength && codePointCount(text) > column.maxLength) {
    throw clientFault(`Value for field '${column.name}' is longer than ${column.maxLength} characters`);
  }
  return text;
}

function codePointCount(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // A high surrogate followed by a low one is one code point.
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}

function invalid(column: ColumnDef, text: string): Error {
  return clientFault(`Invalid ${column.type} value for field '${column.name}': ${quoteClientText(text)}`);
}

function parseInteger(column: ColumnDef, text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw invalid(column, text);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw clientFault(`Value for field '${column.name}' is out of range: ${quoteClientText(text)}`);
  }
  return value === 0 ? 0 : value;
}

function parseDecimal(column: ColumnDef, text: string): number {
  const match = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(text);
  if (match === null || (match[1] === "" && (match[2] ?? "") === "")) throw invalid(column, text);
  const digits = `${match[1]}${match[2] ?? ""}`.replace(/^0+/, "").replace(/0+$/, "");
  if (digits.length > MAX_DECIMAL_DIGITS) {
    throw clientFault(`Value for field '${column.name}' has more than ${MAX_DECIMAL_DIGITS} significant digits`);
  }
  const value = Number(text);
  return value === 0 ? 0 : value;
}

function parseBoolean(column: ColumnDef, text: string): boolean {
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw invalid(column, text);
}

const PLAIN_DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

/** `YYYY-MM-DD HH:MM:SS` (UTC) or ISO 8601 with `T`, optional fraction (dropped) and `Z`/offset (UTC if absent). */
function parseDatetime(column: ColumnDef, text: string): string {
  const match = PLAIN_DATETIME.exec(text) ?? ISO_DATETIME.exec(text);
  if (match === null) throw invalid(column, text);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const zone = match[7];
  const fieldsValid =
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59;
  if (!fieldsValid) throw invalid(column, text);
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== "Z") {
    const offsetHours = Number(zone.slice(1, 3));
    const offsetRest = Number(zone.slice(4, 6));
    if (offsetHours > 23 || offsetRest > 59) throw invalid(column, text);
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const utcYear = utc.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) throw invalid(column, text);
  return formatDatetime(utc);
}

function daysInMonth(year: number, month: number): number {
  const lengths = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return lengths[month - 1] ?? 0;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
