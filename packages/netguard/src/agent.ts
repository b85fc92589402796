import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { NetError } from './errors.ts';
import { type CheckFailure, checkAddress, type NetPolicy, resolveHost } from './policy.ts';

export interface GuardedAgentOptions {
  /** TCP + TLS handshake, DNS included. @defaultValue 10_000 */
  connectTimeoutMs?: number;
}

/** Dispatchers made here: guardedRequest refuses any other, which would skip the DNS check. */
const guarded = new WeakSet<Dispatcher>();

export function isGuardedAgent(dispatcher: Dispatcher): boolean {
  return guarded.has(dispatcher);
}

/**
 * An undici Agent that connects only to checked addresses. For a hostname, its connect `lookup`
 * resolves once, checks every address and hands Node exactly those addresses, so the address checked is
 * the address connected to (no DNS rebinding between check and connect). Node skips `lookup` for an IP
 * host, so the connector checks IP hosts (and the scheme) itself before connecting.
 */
export function createGuardedAgent(policy: NetPolicy, options: GuardedAgentOptions = {}): Dispatcher {
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolveHost(hostname, policy).then(
      (result) => {
        if (!result.ok) {
          const kind = result.code === 'dns_failure' ? 'dns' : 'blocked';
          callback(new NetError(kind, hostname, result.reason), []);
          return;
        }
        const family = wantedFamily(lookupOptions);
        const addresses: LookupAddress[] = result.addresses.filter(
          (a) => family === 0 || a.family === family,
        );
        const first = addresses[0];
        if (!first) {
          callback(new NetError('dns', hostname, `${hostname} has no IPv${family} address`), []);
        } else if (lookupOptions.all) {
          callback(null, addresses);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => callback(error as Error, []),
    );
  };
  const connectToChecked = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000, lookup });
  const connect: buildConnector.connector = (target, callback) => {
    const failure = checkTarget(target.protocol, target.hostname, policy);
    if (failure) {
      callback(new NetError('blocked', target.hostname, failure.reason), null);
      return;
    }
    connectToChecked(target, callback);
  };
  const agent = new Agent({ connect });
  guarded.add(agent);
  return agent;
}

function wantedFamily(options: LookupOptions): 0 | 4 | 6 {
  if (options.family === 4 || options.family === 'IPv4') return 4;
  if (options.family === 6 || options.family === 'IPv6') return 6;
  return 0;
}

/** The checks of checkUrlSyntax that still apply at connect time (undici gives IPv6 hosts unbracketed). */
function checkTarget(protocol: string, hostname: string, policy: NetPolicy): CheckFailure | null {
  if (protocol !== 'https:' && protocol !== 'http:') {
    return { ok: false, code: 'unsupported_scheme', reason: `scheme ${protocol} is not http or https` };
  }
  if (policy.requireHttps && protocol === 'http:') {
    return { ok: false, code: 'https_required', reason: 'only https URLs are allowed' };
  }
  return isIP(hostname) !== 0 ? checkAddress(hostname, policy.allow) : null;
}
