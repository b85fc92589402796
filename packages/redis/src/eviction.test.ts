import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@reelay/localstack';
import { infra } from '@reelay/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from './connection.ts';
import { assertNoEviction, EvictionPolicyError, readEvictionPolicy } from './eviction.ts';

describe('eviction policy check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelay-lru-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the test Redis (noeviction)', async () => {
    const redis = createRedis(infra().redisUrl, 'worker');
    await redis.connect();
    await expect(assertNoEviction(redis)).resolves.toBeUndefined();
    redis.disconnect();
  });

  it('refuses a Redis that may evict keys, naming the policy', async () => {
    const server = await startRedisServer({ dir, extraArgs: ['--maxmemory-policy', 'allkeys-lru'] });
    const redis = createRedis(server.url, 'worker');
    try {
      await redis.connect();
      expect(await readEvictionPolicy(redis)).toBe('allkeys-lru');
      await expect(assertNoEviction(redis)).rejects.toThrow(EvictionPolicyError);
      await expect(assertNoEviction(redis)).rejects.toThrow(/"allkeys-lru".*needs "noeviction"/);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it('fails fast as a producer when Redis is unreachable', async () => {
    const redis = createRedis('redis://127.0.0.1:1', 'producer', { retryStrategy: () => null });
    redis.on('error', () => {});
    await expect(redis.connect()).rejects.toThrow();
    await expect(redis.ping()).rejects.toThrow();
    redis.disconnect();
  });
});
