import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerHeartbeats } from '@reelay/jobs';
import { startRedisServer } from '@reelay/localstack';
import { type IsolatedBucket, type IsolatedRedis, isolatedBucket, isolatedRedis } from '@reelay/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../src/server.ts';
import { testApiEnv } from './harness.ts';

describe('api health', () => {
  let bucket: IsolatedBucket;
  let redis: IsolatedRedis;
  let heartbeats: WorkerHeartbeats;
  let api: RunningApi;
  // Its own prefix: worker heartbeats of other tests (and their processes) are not this api's.
  const envOf = (overrides: Record<string, string> = {}) => testApiEnv(redis, bucket, overrides);
  const readyz = async (url = api.url) => {
    const response = await fetch(`${url}/readyz`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    bucket = await isolatedBucket();
    redis = await isolatedRedis();
    heartbeats = new WorkerHeartbeats(redis.redis, redis.prefix);
    api = await startApi(envOf());
  });
  afterEach(() => redis.redis.del(`${redis.prefix}:workers`));
  afterAll(async () => {
    await api.close();
    await redis.cleanup();
    await bucket.cleanup();
  });

  it('answers liveness', async () => {
    const response = await fetch(`${api.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is ready when Redis (noeviction) and the bucket answer and a worker beat recently', async () => {
    await heartbeats.beat('worker-a');
    expect(await readyz()).toEqual({
      status: 200,
      body: { status: 'ready', redis: 'ok', noeviction: 'ok', bucket: 'ok', workers: 1, missing: [] },
    });
    await heartbeats.beat('worker-b');
    expect((await readyz()).body.workers).toBe(2);
  });

  it('is unready, naming workers, without a worker heartbeat in the last 30 s', async () => {
    expect(await readyz()).toEqual({
      status: 503,
      body: {
        status: 'unready',
        redis: 'ok',
        noeviction: 'ok',
        bucket: 'ok',
        workers: 0,
        missing: ['workers'],
      },
    });
    // A worker last heard from 31 s ago no longer counts; one that closed has removed itself.
    await heartbeats.beat('worker-old', Date.now() - 31_000);
    await heartbeats.beat('worker-gone');
    await heartbeats.remove('worker-gone');
    expect(await readyz()).toMatchObject({ status: 503, body: { workers: 0, missing: ['workers'] } });
  });

  it('does not require workers with READY_REQUIRE_WORKERS=false', async () => {
    const other = await startApi(envOf({ READY_REQUIRE_WORKERS: 'false' }));
    try {
      expect(await readyz(other.url)).toMatchObject({ status: 200, body: { status: 'ready', workers: 0 } });
    } finally {
      await other.close();
    }
  });

  it('is unready, with the reason, when the bucket is missing', async () => {
    await heartbeats.beat('worker-a');
    const other = await startApi(envOf({ S3_BUCKET: 'no-such-bucket-here' }));
    try {
      const { status, body } = await readyz(other.url);
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: 'unready', redis: 'ok', noeviction: 'ok', missing: ['bucket'] });
      expect(body.bucket).not.toBe('ok');
    } finally {
      await other.close();
    }
  });

  it('is unready on a Redis that may evict keys, naming the policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reelay-lru-'));
    const lru = await startRedisServer({ dir, extraArgs: ['--maxmemory-policy', 'allkeys-lru'] });
    const other = await startApi(envOf({ REDIS_URL: lru.url }));
    try {
      // A worker would refuse this Redis; the heartbeat is written here so only the policy is missing.
      const beat = new Redis(lru.url);
      await new WorkerHeartbeats(beat, redis.prefix).beat('worker-a');
      beat.disconnect();
      const { status, body } = await readyz(other.url);
      expect(status).toBe(503);
      expect(body).toMatchObject({
        status: 'unready',
        redis: 'ok',
        bucket: 'ok',
        workers: 1,
        missing: ['noeviction'],
      });
      expect(body.noeviction).toMatch(/"allkeys-lru".*needs "noeviction"/);
    } finally {
      await other.close();
      await lru.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
