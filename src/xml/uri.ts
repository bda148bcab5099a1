/**
 * Namespaces in XML 1.0 §2.2: a namespace name is a URI reference. libxml2
 * (behind xmlsec1 and lxml) flags a declaration whose value is not an
 * RFC 3986 URI-reference (a space, a non-ASCII character, a bad `%` escape,
 * a second `#`, ...), and lxml then often refuses the document; the gateway
 * always refuses it, so it is never the laxer of two stacks. IP literals
 * are checked loosely (hex digits, colons and dots between brackets).
 *
 * Runs once per namespace declaration, not per element; answers are cached.
 */
const UNRESERVED = "A-Za-z0-9\\-._~";
const SUB_DELIMS = "!$&'()*+,;=";
const PCT = "%[0-9A-Fa-f]{2}";
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT})`;
const SEGMENT = `${PCHAR}*`;
const SEGMENT_NZ = `${PCHAR}+`;
const SEGMENT_NZ_NC = `(?:[${UNRESERVED}${SUB_DELIMS}@]|${PCT})+`;
const QUERY_OR_FRAGMENT = `(?:${PCHAR}|[/?])*`;
const HOST = `(?:\\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+)\\]|(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT})*)`;
const AUTHORITY = `(?:(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT})*@)?${HOST}(?::[0-9]*)?`;
const PATH_ABEMPTY = `(?:/${SEGMENT})*`;
const PATH_ABSOLUTE = `/(?:${SEGMENT_NZ}(?:/${SEGMENT})*)?`;
const PATH_ROOTLESS = `${SEGMENT_NZ}(?:/${SEGMENT})*`;
const PATH_NOSCHEME = `${SEGMENT_NZ_NC}(?:/${SEGMENT})*`;
const TAIL = `(?:\\?${QUERY_OR_FRAGMENT})?(?:#${QUERY_OR_FRAGMENT})?`;
const URI = `[A-Za-z][A-Za-z0-9+\\-.]*:(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS}|)${TAIL}`;
const RELATIVE_REF = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_NOSCHEME}|)${TAIL}`;
const URI_REFERENCE = new RegExp(`^(?:${URI}|${RELATIVE_REF})$`);
const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*:/;

const MAX_CACHED = 256;
/** Answers by namespace name: every request declares the same few. */
const cache = new Map<string, NamespaceNameKind>();

/**
 * "invalid" when a namespace name is not a URI reference; "relative" when
 * it is one without a scheme ("" included); else "absolute".
 * Relative namespace URIs are deprecated, and Canonical XML fails on a
 * document that declares one: libxml2 (xmlsec1) refuses to canonicalize it
 * anywhere in the document, so the gateway refuses it at parse time rather
 * than verify what another verifier could not.
 */
export type NamespaceNameKind = "absolute" | "relative" | "invalid";

export function namespaceNameKind(value: string): NamespaceNameKind {
  let kind = cache.get(value);
  if (kind === undefined) {
    kind = !URI_REFERENCE.test(value) ? "invalid" : SCHEME.test(value) ? "absolute" : "relative";
    if (cache.size < MAX_CACHED && value.length <= 512) cache.set(value, kind);
  }
  return kind;
}
