import type { Redis } from 'ioredis';

/** Raised when Redis may evict keys: BullMQ would then lose jobs silently. */
export class EvictionPolicyError extends Error {
  override readonly name = 'EvictionPolicyError';
}

export async function readEvictionPolicy(redis: Redis): Promise<string> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    return reply[1] ?? 'unknown';
  } catch {
    // Managed Redis (ElastiCache, Upstash) may forbid CONFIG; INFO still tells the policy.
    const info = await redis.info('memory');
    return /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown';
  }
}

export async function assertNoEviction(redis: Redis): Promise<void> {
  const policy = await readEvictionPolicy(redis);
  if (policy !== 'noeviction') {
    throw new EvictionPolicyError(
      `Redis maxmemory-policy is "${policy}"; Reelay needs "noeviction" or queued jobs can be evicted (set it with CONFIG SET maxmemory-policy noeviction or in redis.conf)`,
    );
  }
}
