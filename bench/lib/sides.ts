import { apiEnvSchema, startApi } from '@reelay/api';
import { Keys } from '@reelay/jobs';
import { createLogger } from '@reelay/logger';
import { ApiKeyStore } from '@reelay/tenants';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { LogLevel, RowName } from './config.ts';
import { startJobAsRecord, startMinimal, startRecordFloor } from './minimal.ts';

/** One side under load: where to send, what to send, and how much it stored. */
export interface Side {
  url: string;
  headers: Record<string, string>;
  /** Unique `Idempotency-Key` per request. */
  idempotent: boolean;
  /** Records (Reelay) or jobs (the other rows) in Redis now. */
  stored(): Promise<number>;
  close(): Promise<void>;
}

const TENANT = 'bench';
// No worker runs, so the provider is never called: the account only has to make the model routable.
const ACCOUNTS = [
  { id: 'bench', provider: 'openai-videos', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-bench' },
];

/**
 * Starts the server for one row under its own key prefix, so every run begins from an empty keyspace
 * whatever ran before it (the prefix is deleted after the run).
 */
export async function startSide(
  row: RowName,
  infra: { redisUrl: string; s3Env: Record<string, string> },
  prefix: string,
  logLevel: LogLevel = 'silent',
): Promise<Side> {
  if (row === 'minimal' || row === 'floor' || row === 'job-as-record') {
    const start = { minimal: startMinimal, floor: startRecordFloor, 'job-as-record': startJobAsRecord }[row];
    const server = await start(infra.redisUrl, prefix);
    return {
      url: `${server.url}/v1/videos`,
      headers: {},
      idempotent: false,
      stored: () => server.jobCount(),
      close: () => server.close(),
    };
  }
  const env = apiEnvSchema.parse({
    ...infra.s3Env,
    REDIS_URL: infra.redisUrl,
    REDIS_PREFIX: prefix,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    LOG_LEVEL: logLevel,
    PROVIDER_ACCOUNTS: JSON.stringify(ACCOUNTS),
    // This bench runs no worker: /readyz checks Redis and S3 only.
    READY_REQUIRE_WORKERS: 'false',
  });
  // The api's own logger (same redaction, same synchronous writes as on stdout), aimed at /dev/null so the
  // lines cost what they cost the api without flooding the bench's output.
  const logger =
    logLevel === 'silent'
      ? undefined
      : createLogger({
          service: 'api',
          level: logLevel,
          destination: pino.destination({ dest: '/dev/null', sync: true }),
        });
  const api = await startApi(env, { logger });
  const admin = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    // Fails fast on a wrong S3 or Redis setting instead of as 100% errors under load.
    const ready = await fetch(`${api.url}/readyz`);
    if (!ready.ok) throw new Error(`api not ready: ${await ready.text()}`);
    const { key } = await new ApiKeyStore(admin, prefix).create(TENANT, { name: 'bench' });
    return {
      url: `${api.url}/v1/videos`,
      headers: { authorization: `Bearer ${key}` },
      idempotent: row === 'reelay-idem',
      stored: () => admin.zcard(new Keys(prefix).videos(TENANT)),
      async close() {
        await api.close();
        admin.disconnect();
      },
    };
  } catch (error) {
    await api.close();
    admin.disconnect();
    throw error;
  }
}
