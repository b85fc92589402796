import { type ApiEnv, apiEnvSchema, type RunningApi, startApi } from '@reelay/api';
import type { VideoObject } from '@reelay/contracts';
import type { Logger } from '@reelay/logger';
import { type RunningSimulator, startSimulator } from '@reelay/simulator';
import { ApiKeyStore } from '@reelay/tenants';
import {
  type IsolatedBucket,
  type IsolatedRedis,
  infra,
  isolatedBucket,
  isolatedRedis,
  waitFor,
} from '@reelay/testkit';
import { workerEnvSchema } from '../src/env.ts';
import { type RunningWorker, startWorker } from '../src/server.ts';

/**
 * How long the test worker waits before looking for a lost create's job: long enough for a test to put
 * a page of other jobs in front of it first.
 */
export const SUBMIT_SETTLE_MS = 4000;

export interface PipelineStack {
  sim: RunningSimulator;
  api: RunningApi;
  worker: RunningWorker;
  redis: IsolatedRedis;
  bucket: IsolatedBucket;
  key: string;
  call(path: string, init?: RequestInit): Promise<Response>;
  create(body: Record<string, unknown>): Promise<{ id: string }>;
  /** Creates as another tenant (its key is made on first use). */
  createAs(tenant: string, body: Record<string, unknown>): Promise<{ id: string }>;
  /** Polls the api until the video is finished; returns it. */
  settle(id: string, timeoutMs?: number, tenant?: string): Promise<VideoObject>;
  close(): Promise<void>;
}

/** Simulator, api and worker in this process, on real Redis (own prefix) and S3 (own bucket). */
export async function startPipelineStack(
  options: {
    sim?: Record<string, unknown>;
    worker?: Record<string, string>;
    api?: Record<string, string>;
    account?: Record<string, unknown>;
    /** Where api and worker log (tests that read the logs); silent otherwise. */
    loggers?: { api?: Logger; worker?: Logger };
  } = {},
): Promise<PipelineStack> {
  const sim = await startSimulator({ SIM_TIME_FACTOR: 0.002, ...options.sim });
  const redis = await isolatedRedis();
  const bucket = await isolatedBucket();
  const accounts = JSON.stringify([
    {
      id: 'sim',
      provider: 'openai-videos',
      baseUrl: `${sim.url}/v1`,
      apiKey: 'sk-sim',
      concurrency: 4,
      rpm: 60_000,
      ...options.account,
    },
  ]);
  const common = {
    ...bucket.env,
    REDIS_URL: infra().redisUrl,
    REDIS_PREFIX: redis.prefix,
    LOG_LEVEL: 'silent',
    PROVIDER_ACCOUNTS: accounts,
  };
  const apiEnv: ApiEnv = apiEnvSchema.parse({
    ...common,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    ...options.api,
  });
  const api = await startApi(apiEnv, options.loggers?.api ? { logger: options.loggers.api } : {});
  const worker = await startWorker(
    workerEnvSchema.parse({
      ...common,
      WORKER_HEALTH_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: '0',
      POLL_MIN_MS: '20',
      POLL_COLD_START_MS: '50',
      WORKER_LOCK_MS: '5000',
      // The simulator answers creates at once: a lost answer is looked for after seconds, not 45.
      SUBMIT_SETTLE_MS: String(SUBMIT_SETTLE_MS),
      ...options.worker,
    }),
    options.loggers?.worker ? { logger: options.loggers.worker } : {},
  );
  const keys = new ApiKeyStore(redis.redis, redis.prefix);
  const { key } = await keys.create('acme');
  const tenantKeys = new Map<string, string>([['acme', key]]);
  const callAs = (bearer: string, path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${bearer}`, ...(init.headers as Record<string, string>) },
    });
  const call = (path: string, init: RequestInit = {}) => callAs(key, path, init);
  const createAs = async (tenant: string, body: Record<string, unknown>) => {
    if (!tenantKeys.has(tenant)) tenantKeys.set(tenant, (await keys.create(tenant)).key);
    const response = await callAs(tenantKeys.get(tenant)!, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { id: string };
    if (response.status !== 200) throw new Error(`create failed: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    sim,
    api,
    worker,
    redis,
    bucket,
    key,
    call,
    create: (body) => createAs('acme', body),
    createAs,
    async settle(id, timeoutMs = 20_000, tenant = 'acme') {
      return waitFor(
        async () => {
          const video = (await (
            await callAs(tenantKeys.get(tenant)!, `/v1/videos/${id}`)
          ).json()) as VideoObject;
          return ['completed', 'failed', 'canceled'].includes(video.status) ? video : undefined;
        },
        { timeoutMs, intervalMs: 25, what: `video ${id} to finish` },
      );
    },
    async close() {
      await worker.close();
      await api.close();
      await sim.close();
      await redis.cleanup();
      await bucket.cleanup();
    },
  };
}
