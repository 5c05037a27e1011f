import { BlockList, isIP } from "node:net";

/**
 * Addresses a webhook must never reach unless `ALLOW_PRIVATE_URLS=true`: loopback,
 * private, link-local (cloud metadata lives there), CGNAT, unspecified, multicast,
 * reserved and their IPv6 counterparts. Checked at creation and at connect time, so a
 * DNS answer that changes later (rebinding) is caught too.
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
  ["64:ff9b::", 96],
  ["fd00:ec2::", 32],
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

/** True when `ip` (v4, v6, or v4-mapped v6) is not a public unicast address. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return true;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return blocked.check(mapped[1]!, "ipv4");
    return blocked.check(ip, "ipv6");
  }
  return blocked.check(ip, "ipv4");
}
