import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * `::/96`, the deprecated IPv4-compatible IPv6 form (RFC 4291 2.5.5.1). ipaddr.js 2.5.0 calls it
 * 'unicast', but a host with a `sit` tunnel routes `::7f00:1` towards 127.0.0.1, so it is refused too.
 */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/** Readable names for ipaddr.js ranges, for reasons that reach an operator or a tenant. */
const LABELS: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique-local',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  reserved: 'reserved',
  rfc6052: 'NAT64',
  rfc6145: 'IPv4-translated',
  '6to4': '6to4',
  teredo: 'Teredo',
  ipv4Compatible: 'IPv4-compatible',
};

export type AddressClass = { public: true; address: IpAddress } | { public: false; range: string };

/**
 * Parses `ip` (a plain address as net.isIP accepts it, not the odd IPv4 spellings) and tells whether it
 * is a public unicast address. IPv4-mapped IPv6 (`::ffff:7f00:1`) is judged as the IPv4 it maps to.
 */
export function classifyAddress(ip: string): AddressClass {
  // ipaddr.js also parses `0x7f.1` and `127.1`; addresses reaching here come from WHATWG URL (already
  // normalised) or a resolver, so anything else is not an address to connect to.
  if (isIP(ip) === 0) return { public: false, range: 'invalid' };
  const address = ipaddr.process(ip);
  let range: string = address.range();
  if (range === 'unicast' && address.kind() === 'ipv6' && address.match(IPV4_COMPATIBLE)) {
    range = 'ipv4Compatible';
  }
  return range === 'unicast' ? { public: true, address } : { public: false, range };
}

/** `ip` as the guard compares it: IPv4-mapped IPv6 turned into its IPv4. Undefined if not an address. */
export function normalizeAddress(ip: string): IpAddress | undefined {
  return isIP(ip) === 0 ? undefined : ipaddr.process(ip);
}

export function rangeLabel(range: string): string {
  return LABELS[range] ?? range;
}

/** The bare address of a URL hostname: WHATWG keeps IPv6 in brackets. */
export function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
