import { Redis, type RedisOptions } from 'ioredis';

/**
 * - `producer`: API-side connections. Commands fail fast while Redis is away (no offline queue), so a
 *   request answers 503 instead of hanging.
 * - `worker`: BullMQ workers and blocking readers. They must wait out a Redis restart rather than
 *   fail, which BullMQ requires as `maxRetriesPerRequest: null`.
 */
export type RedisRole = 'producer' | 'worker';

export function createRedis(url: string, role: RedisRole, overrides: RedisOptions = {}): Redis {
  const base: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5_000 }
      : { enableOfflineQueue: true, maxRetriesPerRequest: null, connectTimeout: 10_000 };
  return new Redis(url, {
    ...base,
    // Reconnect forever with a capped backoff: a Redis failover must not kill the process.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    lazyConnect: true,
    ...overrides,
  });
}
