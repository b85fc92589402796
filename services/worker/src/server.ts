import { createRenderQueue, VideoStore } from '@reelay/jobs';
import { ProviderLimits } from '@reelay/limits';
import { createLogger, type Logger } from '@reelay/logger';
import { createRenderWorker, type LimitsPort, RenderHistory, RenderPipeline } from '@reelay/pipeline';
import { createAdapter, type ProviderAdapter } from '@reelay/providers';
import { assertNoEviction, createRedis } from '@reelay/redis';
import { createS3FromEnv } from '@reelay/storage';
import type { WorkerEnv } from './env.ts';
import { healthServer } from './health.ts';

export interface RunningWorker {
  healthUrl: string;
  close(): Promise<void>;
}

/**
 * Connects to Redis (refusing an evicting one: BullMQ would lose jobs), wires the providers, limits and
 * storage into the render pipeline, and runs it. Throws EvictionPolicyError for main.ts to turn into
 * one line.
 */
export async function startWorker(env: WorkerEnv, options: { logger?: Logger } = {}): Promise<RunningWorker> {
  const logger =
    options.logger ?? createLogger({ service: 'worker', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
  const redis = createRedis(env.REDIS_URL, 'worker');
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection problem'));
  await redis.connect();
  try {
    await assertNoEviction(redis);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const s3 = createS3FromEnv(env);

  const accounts = env.PROVIDER_ACCOUNTS;
  const adapters = new Map<string, ProviderAdapter>(
    accounts.map((account) => [account.id, createAdapter(account)]),
  );
  const limiter = new ProviderLimits(redis, env.REDIS_PREFIX, accounts, { leaseMs: env.SLOT_LEASE_MS });
  const limits: LimitsPort = {
    async pick(ids, holder) {
      const result = await limiter.pick(
        accounts.filter((a) => ids.includes(a.id)),
        holder,
      );
      return result.ok ? { account: result.accountId } : { waitMs: result.waitMs };
    },
    acquire: async (account, holder) => (await limiter.acquire(account, holder)).ok,
    release: async (account, holder) => {
      await limiter.release(account, holder);
    },
    inFlight: (account) => limiter.inFlight(account),
    take: async (account) => {
      const result = await limiter.take(account);
      return result.ok ? { ok: true } : { ok: false, waitMs: result.waitMs };
    },
    penalize: async (account, hints) => {
      await limiter.penalize(account, hints);
    },
    observe: async (account, hints) => {
      await limiter.observe(account, hints);
    },
  };
  // Only to wake jobs waiting for a provider slot; the worker below consumes the same queue.
  const queue = createRenderQueue(redis, env.REDIS_PREFIX);
  const pipeline = new RenderPipeline({
    store: new VideoStore(redis, env.REDIS_PREFIX),
    queue,
    redis,
    prefix: env.REDIS_PREFIX,
    s3,
    bucket: env.S3_BUCKET,
    accounts,
    adapters,
    limits,
    history: new RenderHistory(redis, env.REDIS_PREFIX),
    logger,
    options: {
      pollPolicy: { minMs: env.POLL_MIN_MS, maxMs: env.POLL_MAX_MS, coldStartMs: env.POLL_COLD_START_MS },
      bulk: { maxAgeMs: env.BULK_STATUS_MAX_AGE_MS, minInFlight: env.BULK_STATUS_MIN_IN_FLIGHT },
    },
  });
  const worker = createRenderWorker(redis, env.REDIS_PREFIX, pipeline, logger, {
    concurrency: env.WORKER_CONCURRENCY,
    lockMs: env.WORKER_LOCK_MS,
  });
  void worker.run();

  const health = healthServer(redis, logger);
  const healthUrl = await health.listen({ host: env.WORKER_HEALTH_HOST, port: env.WORKER_HEALTH_PORT });
  logger.info(
    { healthUrl, accounts: accounts.map((a) => a.id), concurrency: env.WORKER_CONCURRENCY },
    'worker ready',
  );

  return {
    healthUrl,
    async close() {
      await health.close();
      // Lets running steps finish (each is short); delayed jobs simply wait in Redis for the next worker.
      await worker.close();
      await queue.close();
      s3.destroy();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
