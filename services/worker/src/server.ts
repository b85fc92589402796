import { createLogger, type Logger } from '@reelay/logger';
import { assertNoEviction, createRedis } from '@reelay/redis';
import type { WorkerEnv } from './env.ts';
import { healthServer } from './health.ts';

export interface RunningWorker {
  healthUrl: string;
  close(): Promise<void>;
}

/**
 * Connects to Redis, refuses an evicting Redis (BullMQ would lose jobs), and serves health. Throws
 * EvictionPolicyError for main.ts to turn into one line.
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

  const health = healthServer(redis, logger);
  const healthUrl = await health.listen({ host: env.WORKER_HEALTH_HOST, port: env.WORKER_HEALTH_PORT });
  logger.info({ healthUrl }, 'worker ready');

  return {
    healthUrl,
    async close() {
      await health.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
