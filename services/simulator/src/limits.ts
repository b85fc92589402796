import { SimError } from './errors.ts';

// Per-key request rate: a token bucket holding SIM_RPM tokens that refills SIM_RPM per *simulated*
// minute, i.e. 60 s x SIM_TIME_FACTOR of wall clock, so a sped-up test sees the same number of polls
// per job as a real client would against the real limit. Every request costs one token, including
// polls (OpenAI counts those too), and every answer carries the x-ratelimit-* headers.

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Wall-clock ms until one token is back (0 when allowed). */
  retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  /** Tokens per wall-clock ms. */
  private readonly refill: number;

  constructor(rpm: number, timeFactor: number) {
    this.capacity = rpm;
    this.refill = rpm / (60_000 * timeFactor);
  }

  take(key: string, now: number): RateDecision {
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, updatedAt: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.updatedAt) * this.refill);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const retryAfterMs = allowed ? 0 : Math.ceil((1 - bucket.tokens) / this.refill);
    const headers = {
      'x-ratelimit-limit-requests': String(this.capacity),
      'x-ratelimit-remaining-requests': String(Math.floor(bucket.tokens)),
      // OpenAI's meaning: time until the bucket is full again.
      'x-ratelimit-reset-requests': formatDuration((this.capacity - bucket.tokens) / this.refill),
    };
    return { allowed, headers, retryAfterMs };
  }

  clear(): void {
    this.buckets.clear();
  }
}

/** OpenAI's duration style: `12ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1000) return `${whole}ms`;
  if (whole < 60_000) return `${Number((whole / 1000).toFixed(3))}s`;
  const minutes = Math.floor(whole / 60_000);
  return `${minutes}m${Number(((whole - minutes * 60_000) / 1000).toFixed(3))}s`;
}

/** `retry-after` is whole seconds (at least 1, as clients treat 0 as "now"); `retry-after-ms` exact. */
export function retryHeaders(ms: number): Record<string, string> {
  const exact = Math.max(1, Math.ceil(ms));
  return { 'retry-after': String(Math.max(1, Math.ceil(exact / 1000))), 'retry-after-ms': String(exact) };
}

export function rateLimited(retryAfterMs: number, limit: number): SimError {
  return new SimError(
    429,
    `Rate limit reached for requests per min (RPM): Limit ${limit}. Please retry later.`,
    {
      type: 'requests',
      code: 'rate_limit_exceeded',
      headers: retryHeaders(retryAfterMs),
    },
  );
}

export function concurrencyLimited(retryAfterMs: number, limit: number): SimError {
  return new SimError(429, `Too many concurrent video jobs: limit ${limit} queued or in progress per key.`, {
    type: 'requests',
    code: 'concurrency_limit_exceeded',
    headers: retryHeaders(retryAfterMs),
  });
}
