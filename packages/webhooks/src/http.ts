import { checkUrlSyntax, createGuardedAgent, guardedRequest, type NetPolicy } from '@reelay/netguard';
import type { HttpSend } from './sender.ts';

/**
 * The sender's HTTP client: every request goes through the SSRF guard (checked literals, checked DNS
 * answers, connection to the checked address, no redirects followed). One agent per process so
 * connections to an endpoint are reused across deliveries.
 */
export function createGuardedSend(policy: NetPolicy): {
  send: HttpSend;
  /** The checks that need no DNS (scheme, credentials, IP literals): the api's 400 at create time. */
  checkUrl(url: string): { ok: true } | { ok: false; reason: string };
  close(): Promise<void>;
} {
  const agent = createGuardedAgent(policy);
  return {
    send: (url, init) => guardedRequest(url, { ...init, maxResponseBytes: 4096 }, agent, policy),
    checkUrl(url) {
      const result = checkUrlSyntax(url, policy);
      if (!result.ok) return { ok: false, reason: result.reason };
      // Names that always mean this machine need no DNS to refuse (RFC 6761): a 400 now beats a
      // delivery that can only ever be blocked.
      const host = result.url.hostname.toLowerCase().replace(/\.$/, '');
      if ((host === 'localhost' || host.endsWith('.localhost')) && !policy.allow.allowsHostname(host)) {
        return { ok: false, reason: `${host} is this machine (loopback)` };
      }
      return { ok: true };
    },
    close: () => agent.close(),
  };
}
