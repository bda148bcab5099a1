/**
 * The key a client address is counted under. IPv4 (including IPv4-mapped
 * IPv6, as a dual-stack socket reports it) counts per address; IPv6 counts
 * per /64, because one host usually holds a whole /64 and could otherwise
 * spread its attempts over 2^64 addresses. The address is the TCP peer:
 * X-Forwarded-For is not trusted (any client could write it).
 */
import { isIPv4, isIPv6 } from "node:net";

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function clientKey(address: string): string {
  const mapped = IPV4_MAPPED.exec(address)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return `${ipv6Groups(address).slice(0, 4).join(":")}::/64`;
  return address;
}

/** The eight 16-bit groups of an IPv6 address, lowercase, without leading zeros. */
function ipv6Groups(address: string): string[] {
  const withoutZone = address.split("%")[0]!;
  const [head, tail] = withoutZone.includes("::") ? withoutZone.split("::") : [withoutZone, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  // A trailing dotted quad stands for two groups; only the first four groups matter here.
  const missing = 8 - headGroups.length - tailGroups.length - (tailGroups.at(-1)?.includes(".") || headGroups.at(-1)?.includes(".") ? 1 : 0);
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(Math.max(missing, 0)).fill("0"), ...tailGroups];
  return groups.map((group) => (group.includes(".") ? group : (parseInt(group, 16) || 0).toString(16)));
}
