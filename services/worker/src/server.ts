import { createRenderQueue, VideoStore, WorkerHeartbeats } from '@reelay/jobs';
import { ProviderLimits } from '@reelay/limits';
import { createLogger, type Logger } from '@reelay/logger';
import { createMetrics } from '@reelay/metrics';
import { createRenderWorker, type LimitsPort, RenderHistory, RenderPipeline } from '@reelay/pipeline';
import { createAdapter, type ProviderAdapter } from '@reelay/providers';
import { assertNoEviction, createRedis, readEvictionPolicy } from '@reelay/redis';
import { createS3FromEnv, presignGet } from '@reelay/storage';
import type { Telemetry } from '@reelay/telemetry';
import {
  createGuardedSend,
  createWebhookQueue,
  createWebhookWorker,
  netPolicyFromEnv,
  WebhookNotifier,
  WebhookSecrets,
  WebhookSender,
  wakeDelivery,
} from '@reelay/webhooks';
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
export async function startWorker(
  env: WorkerEnv,
  options: { logger?: Logger; telemetry?: Telemetry } = {},
): Promise<RunningWorker> {
  const logger =
    options.logger ??
    createLogger({
      service: 'worker',
      level: env.LOG_LEVEL,
      pretty: env.LOG_PRETTY,
      logPrompts: env.LOG_PROMPTS,
    });
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
  const metrics = createMetrics({ service: 'worker' });

  const accounts = env.PROVIDER_ACCOUNTS;
  const adapters = new Map<string, ProviderAdapter>(
    accounts.map((account) => [
      account.id,
      createAdapter(account, { onResponse: metrics.provider(account.id) }),
    ]),
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
  // With tracing on, each step runs in the trace of the request that made the job, and webhook
  // deliveries in the trace of the step that caused them.
  const telemetry = options.telemetry?.bullmqTelemetry;
  const queue = createRenderQueue(redis, env.REDIS_PREFIX, { telemetry });
  const store = new VideoStore(redis, env.REDIS_PREFIX);
  const webhookQueue = createWebhookQueue(redis, env.REDIS_PREFIX, { telemetry });
  const pipeline = new RenderPipeline({
    store,
    queue,
    redis,
    prefix: env.REDIS_PREFIX,
    s3,
    bucket: env.S3_BUCKET,
    accounts,
    adapters,
    limits,
    notify: new WebhookNotifier(webhookQueue, store),
    history: new RenderHistory(redis, env.REDIS_PREFIX),
    logger,
    observer: metrics.pipeline,
    options: {
      pollPolicy: { minMs: env.POLL_MIN_MS, maxMs: env.POLL_MAX_MS, coldStartMs: env.POLL_COLD_START_MS },
      bulk: { maxAgeMs: env.BULK_STATUS_MAX_AGE_MS, minInFlight: env.BULK_STATUS_MIN_IN_FLIGHT },
      submitSettleMs: env.SUBMIT_SETTLE_MS,
    },
  });
  const worker = createRenderWorker(redis, env.REDIS_PREFIX, pipeline, logger, {
    concurrency: env.WORKER_CONCURRENCY,
    lockMs: env.WORKER_LOCK_MS,
    telemetry,
  });
  void worker.run();

  const http = createGuardedSend(netPolicyFromEnv(env));
  const sender = new WebhookSender({
    redis,
    prefix: env.REDIS_PREFIX,
    store,
    secrets: new WebhookSecrets(redis, env.REDIS_PREFIX),
    send: http.send,
    presign: (key) => presignGet(s3, env.S3_BUCKET, key, env.WEBHOOK_DOWNLOAD_URL_TTL_S),
    wake: wakeDelivery(webhookQueue),
    logger: logger.child({ scope: 'webhooks' }),
    observer: metrics.webhooks,
    options: {
      retry: { schedule: env.WEBHOOK_RETRY_SCHEDULE, scale: env.WEBHOOK_RETRY_SCALE, jitter: 0.2 },
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      endpointConcurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
      disableAfterMs: env.WEBHOOK_DISABLE_AFTER,
    },
  });
  const webhooks = createWebhookWorker(redis, env.REDIS_PREFIX, sender, logger, {
    concurrency: env.WEBHOOK_CONCURRENCY,
    // Only for a lost wake-up (a worker died between freeing a slot and waking the next job): past the
    // request timeout and the slot lease. Long, because every parked job of a dead endpoint wakes once
    // per this period (250 parked at 8 s measured 31 wake-ups/s; at 30 s, 8/s).
    parkSafetyMs: Math.max(30_000, env.WEBHOOK_TIMEOUT_MS + 6_000),
    telemetry,
  });
  void webhooks.run();

  // Queue, slot and Redis gauges are read when Prometheus scrapes, from the state every worker shares.
  metrics
    .watchQueues(redis, [queue, webhookQueue])
    .watchProviders(() => limiter.snapshot())
    .watchRedis(() => readEvictionPolicy(redis));
  for (const consumer of [worker, webhooks]) consumer.on('stalled', () => metrics.stalled(consumer.name));
  const health = healthServer(redis, logger, metrics);
  const healthUrl = await health.listen({ host: env.WORKER_HEALTH_HOST, port: env.WORKER_HEALTH_PORT });
  // The api's /readyz counts workers heard from in the last 30 s: a beat every 10 s, removed on close.
  const workerId = WorkerHeartbeats.processId();
  const heartbeat = await new WorkerHeartbeats(redis, env.REDIS_PREFIX).start(workerId);
  logger.info(
    { healthUrl, workerId, accounts: accounts.map((a) => a.id), concurrency: env.WORKER_CONCURRENCY },
    'worker ready',
  );

  return {
    healthUrl,
    async close() {
      await heartbeat.stop();
      await health.close();
      // Lets running steps finish (each is short); delayed jobs simply wait in Redis for the next worker.
      await Promise.all([worker.close(), webhooks.close()]);
      await Promise.all([queue.close(), webhookQueue.close()]);
      await http.close();
      s3.destroy();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
