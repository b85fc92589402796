import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress, normalizeAddress, rangeLabel, unbracket } from './address.ts';
import type { AllowList } from './allow-list.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface NetPolicy {
  /** Refuse `http:` URLs. On in production; local development and tests send to plain http. */
  requireHttps: boolean;
  /** Explicit exceptions for local development and tests: IPs, CIDRs (v4/v6) and exact hostnames. */
  allow: AllowList;
  /**
   * DNS resolution, injectable for tests.
   * @defaultValue node:dns/promises `lookup` with `{ all: true, order: 'verbatim' }`
   */
  resolve?: Resolver;
}

/** Why a URL is refused. */
export type BlockCode =
  | 'invalid_url'
  | 'unsupported_scheme'
  | 'https_required'
  | 'credentials_in_url'
  | 'non_public_address';

export type CheckFailure = { ok: false; code: BlockCode; reason: string };

/** A refusal, or `dns_failure` when the hostname does not resolve (not a block: it may resolve later). */
export type ResolveFailure = { ok: false; code: BlockCode | 'dns_failure'; reason: string };

/**
 * The checks that need no DNS: scheme, https, credentials in the URL and IP-literal hosts. The API uses
 * it to answer 400 when a webhook URL is registered; a hostname passes here and is judged on delivery.
 */
export function checkUrlSyntax(
  url: string,
  policy: Pick<NetPolicy, 'requireHttps' | 'allow'>,
): { ok: true; url: URL } | CheckFailure {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The input is not echoed: it may carry a secret in its query string.
    return { ok: false, code: 'invalid_url', reason: 'not a valid absolute URL' };
  }
  const failure = checkParsedUrl(parsed, policy);
  return failure ?? { ok: true, url: parsed };
}

/**
 * Every check: those of {@link checkUrlSyntax}, then the hostname resolved and every address it
 * resolves to checked. Informative only (e.g. a "test endpoint" answer): a request must go through
 * {@link createGuardedAgent}, which checks the addresses it actually connects to.
 */
export async function resolveAndCheck(
  url: URL,
  policy: NetPolicy,
): Promise<{ ok: true; addresses: string[] } | ResolveFailure> {
  const failure = checkParsedUrl(url, policy);
  if (failure) return failure;
  const resolved = await resolveHost(unbracket(url.hostname), policy);
  return resolved.ok ? { ok: true, addresses: resolved.addresses.map((a) => a.address) } : resolved;
}

export function checkParsedUrl(
  url: URL,
  policy: Pick<NetPolicy, 'requireHttps' | 'allow'>,
): CheckFailure | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, code: 'unsupported_scheme', reason: `scheme ${url.protocol} is not http or https` };
  }
  if (policy.requireHttps && url.protocol === 'http:') {
    return { ok: false, code: 'https_required', reason: 'only https URLs are allowed' };
  }
  // Credentials in a URL end up in logs and delivery records; receivers authenticate by signature.
  if (url.username !== '' || url.password !== '') {
    return { ok: false, code: 'credentials_in_url', reason: 'URLs must not contain user:password@' };
  }
  const host = unbracket(url.hostname);
  // Node never calls a custom DNS lookup for an IP host, so IP literals are judged here directly.
  return isIP(host) !== 0 ? checkAddress(host, policy.allow) : null;
}

/** An IP passes when it is public unicast or allow-listed. */
export function checkAddress(ip: string, allow: AllowList): CheckFailure | null {
  const range = blockedRange(ip, allow);
  if (range === null) return null;
  const normalized = normalizeAddress(ip);
  // Say which IPv4 an IPv4-mapped IPv6 stands for, since that is what was judged.
  const mapped = isIP(ip) === 6 && normalized?.kind() === 'ipv4' ? ` (IPv4 ${normalized.toString()})` : '';
  return {
    ok: false,
    code: 'non_public_address',
    reason: `${ip}${mapped} is a ${range} address, not a public one`,
  };
}

/** Null when `ip` may be connected to, else the readable name of its range. */
function blockedRange(ip: string, allow: AllowList): string | null {
  if (allow.allowsAddress(ip)) return null;
  const verdict = classifyAddress(ip);
  return verdict.public ? null : rangeLabel(verdict.range);
}

/**
 * Resolves `hostname` (an IP is returned as is) and checks every address: one non-public answer blocks
 * the host, since the connection could go to any of them. An allow-listed hostname skips the check.
 */
export async function resolveHost(
  hostname: string,
  policy: NetPolicy,
): Promise<{ ok: true; addresses: ResolvedAddress[] } | ResolveFailure> {
  const literal = isIP(hostname);
  if (literal !== 0) {
    const failure = checkAddress(hostname, policy.allow);
    return failure ?? { ok: true, addresses: [{ address: hostname, family: literal === 4 ? 4 : 6 }] };
  }
  let answers: ResolvedAddress[];
  try {
    answers = await (policy.resolve ?? systemResolve)(hostname);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      code: 'dns_failure',
      reason: `${hostname} did not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
    };
  }
  if (answers.length === 0) return { ok: false, code: 'dns_failure', reason: `${hostname} has no addresses` };
  const addresses: ResolvedAddress[] = [];
  for (const { address } of answers) {
    // The family is taken from the address itself, not from what the resolver claims.
    const family = isIP(address);
    if (family === 0) {
      return { ok: false, code: 'dns_failure', reason: `${hostname} resolved to something not an IP` };
    }
    addresses.push({ address, family: family === 4 ? 4 : 6 });
  }
  if (policy.allow.allowsHostname(hostname)) return { ok: true, addresses };
  for (const { address } of addresses) {
    const range = blockedRange(address, policy.allow);
    if (range !== null) {
      // The address itself stays out of the reason: it reaches the tenant, who should not learn how
      // internal names resolve. The range is enough to act on.
      return {
        ok: false,
        code: 'non_public_address',
        reason: `${hostname} resolves to a ${range} address, not a public one`,
      };
    }
  }
  return { ok: true, addresses };
}

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const answers = await lookup(hostname, { all: true, order: 'verbatim' });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}
