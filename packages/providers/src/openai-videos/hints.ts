import type { RateLimitHints } from '../adapter.ts';

// Rate-limit hints from the headers of any answer (not only 429s), so the account's limiter can shrink
// before it is refused. Order of trust for "how long to wait", as providers.md sets it: `retry-after-ms`
// (exact), then `Retry-After` (seconds or an HTTP date), then `x-ratelimit-reset-requests` (time until
// the request bucket is full again: an upper bound, hence last), then the caller's own backoff.

/** One unit of a Go-style duration, as OpenAI prints `x-ratelimit-reset-*`: `12ms`, `1.5s`, `6m0s`. */
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * `12ms`, `1s`, `1.5s`, `1m30s`, `2h0m0s` in ms; a bare number counts as seconds (some gateways send
 * that). Undefined when the value is absent or unreadable: a wrong hint is worse than none.
 */
export function parseDuration(value: string | null | undefined): number | undefined {
  const text = value?.trim().toLowerCase();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const match = DURATION_PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3), as ms from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // Fractions are not in the RFC but some servers send them; reading them costs nothing.
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // A date needs a letter (a weekday or month name): Date.parse would read "-5" or "12" as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function parseCount(value: string | null): number | undefined {
  return value !== null && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

function parseMs(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Math.round(Number(value));
}

/** Everything the headers say about this account's limits; only the fields that were sent. */
export function parseHints(headers: Headers, now = Date.now()): RateLimitHints {
  const hints: RateLimitHints = {};
  const limit = parseCount(headers.get('x-ratelimit-limit-requests'));
  const remaining = parseCount(headers.get('x-ratelimit-remaining-requests'));
  const resetMs = parseDuration(headers.get('x-ratelimit-reset-requests'));
  const retryAfterMs =
    parseMs(headers.get('retry-after-ms')) ?? parseRetryAfter(headers.get('retry-after'), now);
  if (limit !== undefined) hints.limit = limit;
  if (remaining !== undefined) hints.remaining = remaining;
  if (resetMs !== undefined) hints.resetMs = resetMs;
  if (retryAfterMs !== undefined) hints.retryAfterMs = retryAfterMs;
  return hints;
}

/** How long the provider asked us to wait, if it said so in any of the ways it can. */
export function waitHint(hints: RateLimitHints): number | undefined {
  return hints.retryAfterMs ?? hints.resetMs;
}
