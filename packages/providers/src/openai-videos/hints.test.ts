import { describe, expect, it } from 'vitest';
import { parseDuration, parseHints, parseRetryAfter, waitHint } from './hints.ts';

describe('parseDuration', () => {
  it.each([
    ['12ms', 12],
    ['250ms', 250],
    ['1s', 1000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['6m0s', 360_000],
    ['2h', 7_200_000],
    ['1h2m3.5s', 3_723_500],
    ['500us', 1],
    ['20', 20_000],
    [' 3S ', 3000],
  ])('%s is %d ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each(['', 'soon', '1x', '1m30', 'ms', '-1s', '1s later'])('%j is unreadable', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-10-21T07:28:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.25', now)).toBe(250);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:20:00 GMT', now)).toBe(0);
  });

  it('ignores what is neither', () => {
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('later', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('parseHints', () => {
  it('reads the x-ratelimit-* headers and the wait, retry-after-ms first', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m30s',
      'retry-after-ms': '1234',
      'retry-after': '9',
    });
    expect(parseHints(headers)).toEqual({ limit: 600, remaining: 0, resetMs: 90_000, retryAfterMs: 1234 });
  });

  it('falls back to Retry-After, as seconds or a date', () => {
    const now = Date.parse('2026-10-21T07:28:00Z');
    expect(parseHints(new Headers({ 'retry-after': '2' }), now)).toEqual({ retryAfterMs: 2000 });
    const dated = new Headers({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' });
    expect(parseHints(dated, now)).toEqual({ retryAfterMs: 30_000 });
  });

  it('is empty when nothing was sent, and skips garbage', () => {
    expect(parseHints(new Headers())).toEqual({});
    expect(parseHints(new Headers({ 'x-ratelimit-limit-requests': 'lots', 'retry-after-ms': 'x' }))).toEqual(
      {},
    );
  });
});

describe('waitHint', () => {
  it('prefers the explicit retry-after over the bucket reset, which is only an upper bound', () => {
    expect(waitHint({ retryAfterMs: 500, resetMs: 60_000 })).toBe(500);
    expect(waitHint({ resetMs: 12 })).toBe(12);
    expect(waitHint({ limit: 10, remaining: 0 })).toBeUndefined();
  });
});
