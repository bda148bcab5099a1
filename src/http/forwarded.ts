/**
 * Who the client is and which URL it used, behind a TLS-terminating proxy or
 * load balancer (SPEC §2 `trusted_proxies`, `public_url`). X-Forwarded-For,
 * -Proto and -Host are believed only when the TCP peer is a trusted proxy;
 * the client is then the right-most X-Forwarded-For address that is not a
 * trusted proxy (every address to its left could have been written by the
 * client itself). From any other peer the headers are ignored: the client is
 * the peer, the protocol is the socket's, the host is the Host header.
 */
import { isIP } from "node:net";
import { CidrSet, normalizeAddress, type Cidr } from "../config/cidr.js";

export interface ClientView {
  /** The client address: throttling, the audit line. */
  readonly address: string;
  /** The TCP peer (the proxy when there is one). */
  readonly peer: string;
  readonly protocol: "http" | "https";
  /** host[:port] as the client addressed it. */
  readonly host: string;
}

export interface ConnectionFacts {
  readonly peer: string;
  readonly encrypted: boolean;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const sets = new WeakMap<readonly Cidr[], CidrSet>();

/** One CidrSet per configuration's list (a reload brings a new list). */
function trustedSet(trustedProxies: readonly Cidr[]): CidrSet {
  let set = sets.get(trustedProxies);
  if (set === undefined) {
    set = new CidrSet(trustedProxies);
    sets.set(trustedProxies, set);
  }
  return set;
}

export function resolveClient(facts: ConnectionFacts, trustedProxies: readonly Cidr[]): ClientView {
  const peer = normalizeAddress(facts.peer);
  const direct: ClientView = {
    address: peer,
    peer,
    protocol: facts.encrypted ? "https" : "http",
    host: validHost(header(facts.headers, "host")) ?? "localhost",
  };
  const trusted = trustedSet(trustedProxies);
  if (!trusted.has(peer)) return direct;

  const forwardedFor = listOf(header(facts.headers, "x-forwarded-for"));
  let address = peer;
  for (let index = forwardedFor.length - 1; index >= 0; index--) {
    const hop = normalizeAddress(forwardedFor[index]!);
    if (isIP(hop) === 0) break; // garbage: stop believing anything further left
    address = hop;
    if (!trusted.has(hop)) break;
  }
  const proto = listOf(header(facts.headers, "x-forwarded-proto"))[0]?.toLowerCase();
  const host = validHost(listOf(header(facts.headers, "x-forwarded-host"))[0]);
  return {
    address,
    peer,
    protocol: proto === "https" || proto === "http" ? proto : direct.protocol,
    host: host ?? direct.host,
  };
}

/** The base URL of the WSDL's soap:address: public_url when configured, else what the client used. */
export function publicBaseUrl(publicUrl: string | null, client: ClientView): string {
  return publicUrl ?? `${client.protocol}://${client.host}`;
}

function header(headers: ConnectionFacts["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function listOf(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

function validHost(value: string | undefined): string | undefined {
  return value !== undefined && value.length <= 261 && HOST.test(value) ? value : undefined;
}
