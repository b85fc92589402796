import { type IsolatedBucket, infra, isolatedBucket } from '@reelay/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEnvSchema } from '../src/env.ts';
import { type RunningApi, startApi } from '../src/server.ts';
import { TEST_ACCOUNTS } from './harness.ts';

describe('api health', () => {
  let bucket: IsolatedBucket;
  let api: RunningApi;
  beforeAll(async () => {
    bucket = await isolatedBucket();
    const env = apiEnvSchema.parse({
      ...bucket.env,
      REDIS_URL: infra().redisUrl,
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      LOG_LEVEL: 'silent',
      PROVIDER_ACCOUNTS: JSON.stringify(TEST_ACCOUNTS),
    });
    api = await startApi(env);
  });
  afterAll(async () => {
    await api.close();
    await bucket.cleanup();
  });

  it('answers liveness', async () => {
    const response = await fetch(`${api.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is ready when Redis and the bucket answer', async () => {
    const response = await fetch(`${api.url}/readyz`);
    expect(await response.json()).toEqual({ status: 'ready', redis: 'ok', s3: 'ok' });
    expect(response.status).toBe(200);
  });

  it('is unready, with the reason, when the bucket is missing', async () => {
    const env = apiEnvSchema.parse({
      ...bucket.env,
      S3_BUCKET: 'no-such-bucket-here',
      REDIS_URL: infra().redisUrl,
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      LOG_LEVEL: 'silent',
      PROVIDER_ACCOUNTS: JSON.stringify(TEST_ACCOUNTS),
    });
    const other = await startApi(env);
    try {
      const response = await fetch(`${other.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'unready', redis: 'ok' });
    } finally {
      await other.close();
    }
  });
});
