import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { infra } from './infra.ts';

/** A name no other test (or concurrent run) uses: queue names, key prefixes, tenants. */
export function uniqueName(label = 't'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

export interface IsolatedRedis {
  url: string;
  /** A key prefix of this test's own; pass it as the BullMQ prefix / REDIS_PREFIX. */
  prefix: string;
  /** A client for assertions. */
  redis: Redis;
  /** Deletes every key under the prefix and disconnects. */
  cleanup(): Promise<void>;
}

export async function isolatedRedis(label = 'reelay'): Promise<IsolatedRedis> {
  const url = infra().redisUrl;
  const prefix = uniqueName(label);
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  return {
    url,
    prefix,
    redis,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
