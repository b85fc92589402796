import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { type IpAddress, normalizeAddress, unbracket } from './address.ts';

/**
 * Explicit exceptions to the guard, for local development and tests (a receiver on 127.0.0.1).
 * Production runs with an empty list.
 */
export interface AllowList {
  /** The entries as given, normalised (lowercase hostnames), for logs. */
  readonly entries: readonly string[];
  allowsAddress(ip: string): boolean;
  allowsHostname(hostname: string): boolean;
}

type Range = readonly [IpAddress, number];

/**
 * Parses allow-list entries: an IP (`127.0.0.1`, `::1`), a CIDR (`10.0.0.0/8`, `fd00::/8`) or an exact
 * hostname (`hooks.local`, no wildcards). Blank entries are skipped so that `''.split(',')` from an
 * unset env var means "none". Throws an Error naming the first bad entry.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const ranges: Range[] = [];
  const hostnames = new Set<string>();
  const kept: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    if (slash !== -1 && isIP(entry.slice(0, slash)) !== 0) ranges.push(parseCidr(entry));
    else if (isIP(entry) !== 0) ranges.push(parseAddress(entry));
    else hostnames.add(parseHostname(entry));
    kept.push(entry);
  }
  return {
    entries: kept,
    allowsAddress(ip) {
      const address = normalizeAddress(ip);
      if (!address) return false;
      return ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
    },
    allowsHostname(hostname) {
      return hostnames.has(canonicalHostname(hostname));
    },
  };
}

function parseAddress(entry: string): Range {
  const address = normalizeAddress(entry)!;
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

function parseCidr(entry: string): Range {
  const slash = entry.indexOf('/');
  const ip = entry.slice(0, slash);
  const bitsText = entry.slice(slash + 1);
  const family = isIP(ip);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || !/^(0|[1-9][0-9]{0,2})$/.test(bitsText) || Number(bitsText) > max) {
    throw bad(entry, 'not an IP, a CIDR (e.g. 10.0.0.0/8, fd00::/8) or a hostname');
  }
  const bits = Number(bitsText);
  // A typo such as `10.0.0.0/0` would silently switch the guard off for every address.
  if (bits === 0) throw bad(entry, 'a /0 range would allow every address');
  const [base] = ipaddr.parseCIDR(entry);
  if (base.kind() === 'ipv6' && (base as ipaddr.IPv6).isIPv4MappedAddress()) {
    // Addresses are compared after IPv4-mapped IPv6 becomes IPv4, so such a range would never match.
    throw bad(entry, 'write IPv4-mapped ranges as IPv4 CIDRs');
  }
  const network =
    family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(entry) : ipaddr.IPv6.networkAddressFromCIDR(entry);
  if (network.toNormalizedString() !== base.toNormalizedString()) {
    throw bad(entry, `host bits are set; did you mean ${network.toString()}/${bits}?`);
  }
  return [base, bits];
}

function parseHostname(entry: string): string {
  if (entry.includes('*')) throw bad(entry, 'wildcards are not supported; list each hostname');
  let parsed: string;
  try {
    parsed = new URL(`http://${entry}/`).hostname;
  } catch {
    throw bad(entry, 'not an IP, a CIDR or a hostname');
  }
  // WHATWG reads `127.1` or `0x7f.1` as 127.0.0.1: an allow-list must not rely on such spellings.
  if (isIP(unbracket(parsed)) !== 0) throw bad(entry, `not a plain address; write ${unbracket(parsed)}`);
  // Anything the URL parser changed (a port, userinfo, a path, Unicode) is not a bare hostname.
  if (parsed !== entry) throw bad(entry, 'not a bare hostname (no scheme, port, path or Unicode)');
  return canonicalHostname(entry);
}

/** `Example.COM.` and `example.com` name the same host. */
function canonicalHostname(hostname: string): string {
  const lower = hostname.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function bad(entry: string, why: string): Error {
  return new Error(`invalid allow-list entry ${JSON.stringify(entry)}: ${why}`);
}
