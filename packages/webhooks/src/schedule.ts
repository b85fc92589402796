/** Svix's schedule, which callers already plan around: about 27.6 h of retries after the first try. */
export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** One duration like `500ms`, `5s`, `30m`, `2h`, `5d`. Throws an Error that names the bad item. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration like 500ms, 5s, 30m, 2h or 5d`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** `5s,5m,30m` -> delays in ms before the 2nd, 3rd, ... attempt. */
export function parseSchedule(text: string): number[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error('the retry schedule needs at least one delay');
  return items.map(parseDuration);
}

export interface RetryPolicy {
  /** Delays before each retry; its length is the number of retries. */
  schedule: readonly number[];
  /** Multiplies every delay (tests and benches run a day of retries in seconds). @defaultValue 1 */
  scale: number;
  /** +/- share of random spread around each delay, so retries of many messages do not line up. */
  jitter: number;
}

/**
 * The wait before retry number `retry` (1 = the first retry). A `Retry-After` from the endpoint is
 * honored within bounds: never sooner than the first scheduled delay, never later than the last one.
 */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs?: number | null,
  random: () => number = Math.random,
): number {
  const { schedule, scale, jitter } = policy;
  const planned = schedule[Math.min(Math.max(retry, 1), schedule.length) - 1]! * scale;
  if (retryAfterMs !== undefined && retryAfterMs !== null && retryAfterMs >= 0) {
    const low = schedule[0]! * scale;
    const high = schedule[schedule.length - 1]! * scale;
    return Math.round(Math.min(high, Math.max(low, retryAfterMs)));
  }
  return Math.max(0, Math.round(planned * (1 + jitter * (2 * random() - 1))));
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
