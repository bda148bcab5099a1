/**
 * IP addresses and CIDR blocks of `trusted_proxies` (SPEC §2), matched with
 * node's BlockList. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as a
 * dual-stack socket reports an IPv4 peer) is matched as the IPv4 address.
 */
import { BlockList, isIP } from "node:net";

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: "ipv4" | "ipv6";
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `10.0.0.0/8`, `192.0.2.1` (a /32), `fd00::/8`, `::1`; undefined when not one of these. */
export function parseCidr(text: string): Cidr | undefined {
  const [rawAddress, rawPrefix, ...rest] = text.trim().split("/");
  if (rawAddress === undefined || rest.length > 0) return undefined;
  const address = normalizeAddress(rawAddress);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix)) return undefined;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** Strips an IPv6 zone and unwraps an IPv4-mapped IPv6 address. */
export function normalizeAddress(address: string): string {
  if (!address.includes(":") && !address.includes("%")) return address; // an IPv4 address: no zone, not mapped (every request's peer)
  const withoutZone = address.split("%")[0]!;
  return IPV4_MAPPED.exec(withoutZone)?.[1] ?? withoutZone;
}

/** A set of CIDR blocks; `has(address)` for any textual address (false when it is not an IP address). */
export class CidrSet {
  readonly #list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly Cidr[]) {
    for (const cidr of cidrs) this.#list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    this.size = cidrs.length;
  }

  has(address: string): boolean {
    if (this.size === 0) return false; // no trusted_proxies (the default): nothing to look up
    const normalized = normalizeAddress(address.trim());
    const version = isIP(normalized);
    if (version === 0) return false;
    return this.#list.check(normalized, version === 4 ? "ipv4" : "ipv6");
  }
}
