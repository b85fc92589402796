import type { Logger } from '@reelay/logger';
import { ApiKeyStore, type Scope } from '@reelay/tenants';
import {
  type IsolatedBucket,
  type IsolatedRedis,
  infra,
  isolatedBucket,
  isolatedRedis,
} from '@reelay/testkit';
import { type ApiEnv, apiEnvSchema } from '../src/env.ts';
import { type RunningApi, startApi } from '../src/server.ts';

export const TEST_ACCOUNTS = [
  { id: 'sim', provider: 'openai-videos', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-test' },
  {
    id: 'sim-pro',
    provider: 'openai-videos',
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKey: 'sk-test',
    models: ['sora-2-pro'],
  },
];

export interface TestApi {
  url: string;
  env: ApiEnv;
  redis: IsolatedRedis;
  bucket: IsolatedBucket;
  /** A new API key for `tenant`. */
  key(tenant: string, scopes?: Scope[]): Promise<string>;
  /** fetch against the api with a key. */
  call(key: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** The api's settings for a test: the test's Redis prefix and bucket, loopback, a free port, silent. */
export function testApiEnv(
  redis: IsolatedRedis,
  bucket: IsolatedBucket,
  overrides: Record<string, string> = {},
): ApiEnv {
  return apiEnvSchema.parse({
    ...bucket.env,
    REDIS_URL: infra().redisUrl,
    REDIS_PREFIX: redis.prefix,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    LOG_LEVEL: 'silent',
    PROVIDER_ACCOUNTS: JSON.stringify(TEST_ACCOUNTS),
    ...overrides,
  });
}

/** A real api on a free port, with its own Redis prefix and bucket. */
export async function startTestApi(
  overrides: Record<string, string> = {},
  /** A logger of the test's own, e.g. to read what the api logged. */
  options: { logger?: Logger } = {},
): Promise<TestApi> {
  const redis = await isolatedRedis();
  const bucket = await isolatedBucket();
  const env = testApiEnv(redis, bucket, overrides);
  const api: RunningApi = await startApi(env, options);
  const keys = new ApiKeyStore(redis.redis, redis.prefix);
  return {
    url: api.url,
    env,
    redis,
    bucket,
    key: async (tenant, scopes) => (await keys.create(tenant, { scopes })).key,
    call: (key, path, init = {}) =>
      fetch(`${api.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
      }),
    async close() {
      await api.close();
      await redis.cleanup();
      await bucket.cleanup();
    },
  };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
