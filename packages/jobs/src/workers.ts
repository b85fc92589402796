import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { Keys } from './keys.ts';

/**
 * Worker processes announce themselves in one sorted set (member: process id, score: last beat in unix
 * ms), so the api's readiness check is a single ZCOUNT however large the keyspace, instead of a SCAN for
 * per-worker keys.
 */
export class WorkerHeartbeats {
  private readonly redis: Redis;
  private readonly key: string;
  /** A worker not heard from for this long no longer counts. @defaultValue 30_000 */
  readonly windowMs: number;

  constructor(redis: Redis, prefix: string, windowMs = 30_000) {
    this.redis = redis;
    this.key = new Keys(prefix).workers();
    this.windowMs = windowMs;
  }

  /** `<hostname>-<pid>-<random>`: unique even for several workers in one process (tests). */
  static processId(): string {
    return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  /** Records a beat, and forgets workers silent for ten windows (long dead; keeps the set small). */
  async beat(id: string, now = Date.now()): Promise<void> {
    await this.redis
      .multi()
      .zadd(this.key, now, id)
      .zremrangebyscore(this.key, '-inf', now - 10 * this.windowMs)
      .exec();
  }

  async remove(id: string): Promise<void> {
    await this.redis.zrem(this.key, id);
  }

  /** Workers heard from within the window. */
  async count(now = Date.now()): Promise<number> {
    return this.redis.zcount(this.key, now - this.windowMs, '+inf');
  }

  /**
   * Beats now and every `intervalMs` until stopped; a failed beat (Redis away) is retried at the next
   * tick. `stop` removes the worker at once, so a clean shutdown is not counted for the whole window.
   * @param intervalMs @defaultValue 10_000 (three beats per 30 s window: one lost beat is harmless)
   */
  async start(id: string, intervalMs = 10_000): Promise<{ stop(): Promise<void> }> {
    await this.beat(id);
    const timer = setInterval(() => void this.beat(id).catch(() => {}), intervalMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await this.remove(id).catch(() => {});
      },
    };
  }
}
