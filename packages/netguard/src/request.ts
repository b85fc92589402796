import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isGuardedAgent } from './agent.ts';
import { NetError, toNetError } from './errors.ts';
import { checkUrlSyntax, type NetPolicy } from './policy.ts';

export interface GuardedRequestInit {
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  /** For the whole exchange: DNS, connect, TLS, headers and the (capped) body. */
  timeoutMs: number;
  /** Response body bytes kept; the rest is not read. @defaultValue 4096 */
  maxResponseBytes?: number;
}

export interface GuardedResponse {
  status: number;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** UTF-8, at most `maxResponseBytes` bytes (a character cut in two at the cap is dropped). */
  body: string;
  durationMs: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 4096;

/**
 * Sends one request through a {@link createGuardedAgent} dispatcher. Redirects are not followed: a 3xx
 * comes back as a response (its Location could point anywhere, including inside the network). Any other
 * outcome without a response throws a {@link NetError}; a blocked URL throws before any connection.
 */
export async function guardedRequest(
  url: string,
  init: GuardedRequestInit,
  agent: Dispatcher,
  policy: NetPolicy,
): Promise<GuardedResponse> {
  if (!isGuardedAgent(agent)) {
    throw new TypeError(
      'guardedRequest needs a dispatcher from createGuardedAgent: another skips the DNS check',
    );
  }
  const checked = checkUrlSyntax(url, policy);
  if (!checked.ok) throw new NetError('blocked', hostOf(url), checked.reason);
  const target = checked.url;
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), init.timeoutMs);
  try {
    const response = await agent.request({
      origin: target.origin,
      // The fragment is the client's business and never sent.
      path: `${target.pathname}${target.search}`,
      method: init.method,
      headers: init.headers,
      body: init.body ?? null,
      signal: controller.signal,
      // Backstops for the abort signal, which covers the whole exchange.
      headersTimeout: init.timeoutMs,
      bodyTimeout: init.timeoutMs,
    });
    const body = await readCapped(response.body, init.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    return {
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      body,
      durationMs: performance.now() - started,
    };
  } catch (error) {
    // A refusal from the agent wins over the timer firing at the same moment.
    if (!(error instanceof NetError) && controller.signal.aborted) {
      throw new NetError('timeout', target.host, `no complete response within ${init.timeoutMs} ms`, {
        cause: error,
      });
    }
    throw toNetError(error, target.host);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads at most `max` bytes, then stops: destroying the body closes the connection instead of
 * downloading whatever a receiver chooses to stream.
 */
async function readCapped(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size + buffer.length > max) {
      chunks.push(buffer.subarray(0, max - size));
      truncated = true;
      break;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  if (truncated) body.destroy();
  // `stream: true` withholds a multi-byte character cut at the cap instead of emitting U+FFFD.
  return new TextDecoder().decode(Buffer.concat(chunks), { stream: truncated });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The host for an error message, never the raw string: it may hold a token in its query. */
function hostOf(url: string): string {
  try {
    return new URL(url).host || '(no host)';
  } catch {
    return '(invalid URL)';
  }
}
