import type { Redis } from 'ioredis';
import { WebhookKeys } from './keys.ts';

/**
 * Takes one of an endpoint's `cap` delivery slots for `holder`, leased until now + ARGV[2] ms (a dead
 * worker's slot comes back by itself). Uses Redis's clock, so workers' clocks need not agree.
 * KEYS[1] slots sorted set; ARGV[1] holder, ARGV[2] lease ms, ARGV[3] cap. Returns 1 when taken.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = now + tonumber(ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * Records a failed attempt; disables the endpoint once it has been failing without a single success for
 * ARGV[2] ms. A failure more than ARGV[3] ms after the previous one starts a new streak: an endpoint
 * whose last message gave up days ago is not "failing for days" on its next hiccup.
 * KEYS[1] endpoint hash; ARGV[1] now ms, ARGV[2] disable-after ms, ARGV[3] streak gap ms.
 * Returns {failingSince, 0 | 1 already disabled | 2 disabled by this call}.
 */
const FAILED = `
local last = tonumber(redis.call('HGET', KEYS[1], 'lastFailureAt') or '0')
if tonumber(ARGV[1]) - last > tonumber(ARGV[3]) then redis.call('HDEL', KEYS[1], 'failingSince') end
redis.call('HSETNX', KEYS[1], 'failingSince', ARGV[1])
redis.call('HSET', KEYS[1], 'lastFailureAt', ARGV[1])
local since = tonumber(redis.call('HGET', KEYS[1], 'failingSince'))
if redis.call('HEXISTS', KEYS[1], 'disabledAt') == 1 then return {since, 1} end
if tonumber(ARGV[1]) - since >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'disabledAt', ARGV[1])
  return {since, 2}
end
return {since, 0}
`;

export interface EndpointState {
  origin: string;
  failingSince: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  disabledAt: number | null;
}

/** The key an endpoint's limits and health are kept under: scheme, host and port. */
export function endpointOf(url: string): string {
  return new URL(url).origin;
}

/**
 * Where limits on webhook endpoints are enforced: an in-flight cap per endpoint (so one slow or dead
 * endpoint holds at most `cap` of the sender's concurrency and never delays another's deliveries), and
 * its health (failing since when; disabled after failing for days).
 */
export class Endpoints {
  private readonly redis: Redis & {
    reelayWebhookAcquire(key: string, holder: string, leaseMs: string, cap: string): Promise<number>;
    reelayWebhookFailed(
      key: string,
      now: string,
      disableAfter: string,
      streakGap: string,
    ): Promise<[number, number]>;
  };
  private readonly keys: WebhookKeys;

  constructor(redis: Redis, prefix: string) {
    if (typeof (redis as { reelayWebhookAcquire?: unknown }).reelayWebhookAcquire !== 'function') {
      redis.defineCommand('reelayWebhookAcquire', { numberOfKeys: 1, lua: ACQUIRE });
      redis.defineCommand('reelayWebhookFailed', { numberOfKeys: 1, lua: FAILED });
    }
    this.redis = redis as Endpoints['redis'];
    this.keys = new WebhookKeys(prefix);
  }

  async acquire(origin: string, holder: string, cap: number, leaseMs: number): Promise<boolean> {
    const key = this.keys.endpointSlots(origin);
    return (await this.redis.reelayWebhookAcquire(key, holder, String(leaseMs), String(cap))) === 1;
  }

  async release(origin: string, holder: string): Promise<void> {
    await this.redis.zrem(this.keys.endpointSlots(origin), holder);
  }

  /**
   * Parks a delivery job until a slot frees (NX: a job parked again keeps its place in line). The
   * waiting list is what keeps a dead endpoint's backlog cheap: its jobs sleep instead of polling.
   */
  async park(origin: string, jobId: string): Promise<void> {
    const key = this.keys.endpointWaiting(origin);
    await this.redis
      .multi()
      .zadd(key, 'NX', Date.now(), jobId)
      .pexpire(key, 7 * 24 * 3600_000)
      .exec();
  }

  /**
   * Takes a job out of the line when it runs (woken by its safety delay or by itself): a stale entry
   * would later "wake" it out of a retry delay.
   */
  async unpark(origin: string, jobId: string): Promise<void> {
    await this.redis.zrem(this.keys.endpointWaiting(origin), jobId);
  }

  /** The job that has waited longest for this endpoint, removed from the line; null when none. */
  async nextWaiting(origin: string): Promise<string | null> {
    const popped = await this.redis.zpopmin(this.keys.endpointWaiting(origin));
    return popped[0] ?? null;
  }

  /** Whether a delivery could take a slot now (slots whose lease ran out count as free). */
  async hasRoom(origin: string, cap: number): Promise<boolean> {
    return (await this.inFlight(origin)) < cap;
  }

  async inFlight(origin: string): Promise<number> {
    return this.redis.zcount(this.keys.endpointSlots(origin), Date.now(), '+inf');
  }

  async succeeded(origin: string, now = Date.now()): Promise<void> {
    const key = this.keys.endpoint(origin);
    await this.redis.multi().hdel(key, 'failingSince').hset(key, 'lastSuccessAt', String(now)).exec();
  }

  /** Returns whether the endpoint is disabled now, and whether this failure disabled it. */
  async failed(
    origin: string,
    disableAfterMs: number,
    streakGapMs: number,
    now = Date.now(),
  ): Promise<{ failingSince: number; disabled: boolean; newlyDisabled: boolean }> {
    const [failingSince, state] = await this.redis.reelayWebhookFailed(
      this.keys.endpoint(origin),
      String(now),
      String(disableAfterMs),
      String(streakGapMs),
    );
    return { failingSince, disabled: state !== 0, newlyDisabled: state === 2 };
  }

  async state(origin: string): Promise<EndpointState> {
    const fields = await this.redis.hgetall(this.keys.endpoint(origin));
    const num = (value: string | undefined) => (value ? Number(value) : null);
    return {
      origin,
      failingSince: num(fields.failingSince),
      lastSuccessAt: num(fields.lastSuccessAt),
      lastFailureAt: num(fields.lastFailureAt),
      disabledAt: num(fields.disabledAt),
    };
  }

  /** Re-enables a disabled endpoint (an operator fixed it, or a test event reached it). */
  async enable(origin: string): Promise<boolean> {
    const removed = await this.redis.hdel(this.keys.endpoint(origin), 'disabledAt', 'failingSince');
    return removed > 0;
  }
}
