import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where the gateway may fetch a URL a provider gave it (an image link): only http(s), and never a
 * private, loopback, link-local or otherwise internal address (the cloud metadata service at
 * 169.254.169.254, the gateway's own host, the operator's network) unless the channel is local.
 *
 * The host is resolved here and every address it resolves to is checked. The fetch resolves it again,
 * so a name that changes its answer between the two (DNS rebinding) is not covered; providers' image
 * hosts are public CDNs, and the downloaded bytes must still be an image.
 */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['100::', 64], // discard
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6');

/** True for an address no public service lives at. */
export function isInternalAddress(address: string): boolean {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(ip);
  if (family === 4) return INTERNAL.check(ip, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(ip);
  if (v4) return INTERNAL.check(v4, 'ipv4');
  return INTERNAL.check(ip, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::`) or IPv4-compatible IPv6 address. */
function embeddedIpv4(ip: string): string | null {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:|::ffff:0:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

export type Resolver = (host: string) => Promise<string[]>;
const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Whether a host (name or address) is, or resolves to, an internal address. Unresolvable: false. */
export async function hostIsInternal(host: string, resolve: Resolver = systemResolver): Promise<boolean> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return isInternalAddress(bare);
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  try {
    return (await resolve(bare)).some(isInternalAddress);
  } catch {
    return false;
  }
}

export class RefusedUrl extends Error {}

/**
 * Checks a URL before fetching it; throws RefusedUrl saying why. `allowInternal`: the channel is
 * local (marked so, or itself on an internal address), so its links may be too.
 */
export async function checkFetchableUrl(raw: string, allowInternal: boolean, resolve: Resolver = systemResolver): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedUrl('is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RefusedUrl(`uses ${url.protocol.replace(/:$/, '')}:, not http(s)`);
  if (url.username || url.password) throw new RefusedUrl('carries credentials');
  if (allowInternal) return url;
  const bare = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(bare)) {
    if (isInternalAddress(bare)) throw new RefusedUrl('points to a private or loopback address');
    return url;
  }
  if (bare === 'localhost' || bare.endsWith('.localhost')) throw new RefusedUrl('points to a private or loopback address');
  let addresses: string[];
  try {
    addresses = await resolve(bare);
  } catch {
    throw new RefusedUrl('has a host name that does not resolve');
  }
  if (addresses.length === 0 || addresses.some(isInternalAddress)) throw new RefusedUrl('points to a private or loopback address');
  return url;
}
