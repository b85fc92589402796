import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE, parseRetryAfter, parseSchedule, retryDelay } from './schedule.ts';

const policy = { schedule: parseSchedule(DEFAULT_RETRY_SCHEDULE), scale: 1, jitter: 0.2 };

describe('retry schedule', () => {
  it('parses the default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect(policy.schedule).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
  });

  it('names a bad item', () => {
    expect(() => parseSchedule('5s,soon')).toThrow(/"soon" is not a duration/);
    expect(() => parseSchedule(' , ')).toThrow(/at least one/);
  });

  it('spreads each delay by +/-20% and no more', () => {
    expect(retryDelay(policy, 2, null, () => 0)).toBe(240_000);
    expect(retryDelay(policy, 2, null, () => 1)).toBe(360_000);
    expect(retryDelay(policy, 2, null, () => 0.5)).toBe(300_000);
  });

  it('scales the whole schedule', () => {
    expect(retryDelay({ ...policy, scale: 0.001, jitter: 0 }, 7)).toBe(36_000);
  });

  it('honors Retry-After between the first and the last delay', () => {
    const flat = { ...policy, jitter: 0 };
    expect(retryDelay(flat, 1, 60_000)).toBe(60_000);
    expect(retryDelay(flat, 1, 10)).toBe(5_000);
    expect(retryDelay(flat, 1, 7 * 24 * 3600_000)).toBe(36_000_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 1)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(
      60_000,
    );
    expect(parseRetryAfter('whenever')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});
