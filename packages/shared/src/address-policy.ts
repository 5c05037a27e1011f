import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * The range an address belongs to, as ipaddr.js names it ("unicast" for ordinary public
 * addresses). IPv4-mapped IPv6 (`::ffff:127.0.0.1`, also written `::ffff:7f00:1`) is judged
 * as the IPv4 address it carries.
 */
export function addressRange(ip: string): string {
  const bare = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  if (isIP(bare.split("%")[0] ?? "") === 0) return "invalid";
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(bare);
  } catch {
    return "invalid";
  }
  return parsed.range();
}

/**
 * True only for public unicast addresses: what a webhook may reach unless
 * `ALLOW_PRIVATE_URLS=true`. Deny by default: loopback, RFC 1918 private, link-local (cloud
 * metadata 169.254.169.254), CGNAT, unspecified, broadcast, multicast, reserved and
 * documentation ranges, IPv6 unique-local (incl. AWS metadata fd00:ec2::254), site-local,
 * NAT64, 6to4, Teredo and every other special range. Checked by the admin API at creation
 * and by the dispatcher at connect time, so a DNS answer that changes later is caught too.
 */
export function isPublicAddress(ip: string): boolean {
  return addressRange(ip) === "unicast";
}
