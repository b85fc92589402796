import type { Redis } from 'ioredis';

/**
 * How long renders of one kind (account, model, size, seconds) take from submit to done, as an
 * exponentially weighted mean and variance in one Redis hash shared by every worker. No provider gives
 * an ETA; this is what lets a job be polled about when it should be finished instead of every 10 s.
 */
export interface Estimate {
  meanMs: number;
  stdMs: number;
  samples: number;
}

/** Weight of the newest sample: about the last 10 renders dominate. */
const ALPHA = 0.2;

export class RenderHistory {
  private readonly redis: Redis;
  private readonly key: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.key = `${prefix}:render-history`;
  }

  static kind(account: string, model: string, size: string, seconds: string): string {
    return `${account}|${model}|${size}|${seconds}`;
  }

  async get(kind: string): Promise<Estimate | null> {
    const raw = await this.redis.hget(this.key, kind);
    return raw ? (JSON.parse(raw) as Estimate) : null;
  }

  /** Folds one observed duration in. Last writer wins on a race: a lost sample is harmless here. */
  async record(kind: string, durationMs: number): Promise<Estimate> {
    const previous = await this.get(kind);
    const next: Estimate = previous
      ? (() => {
          const delta = durationMs - previous.meanMs;
          const meanMs = previous.meanMs + ALPHA * delta;
          const variance = (1 - ALPHA) * (previous.stdMs ** 2 + ALPHA * delta ** 2);
          return { meanMs, stdMs: Math.sqrt(variance), samples: previous.samples + 1 };
        })()
      : { meanMs: durationMs, stdMs: durationMs * 0.2, samples: 1 };
    await this.redis.hset(this.key, kind, JSON.stringify(next));
    return next;
  }
}
