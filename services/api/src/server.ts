import { createLogger, type Logger } from '@reelay/logger';
import { createRedis } from '@reelay/redis';
import { createS3 } from '@reelay/storage';
import Fastify from 'fastify';
import { app } from './app.ts';
import type { ApiEnv } from './env.ts';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** Wires config, logger, Redis and S3 into the app and listens. Used by main.ts and by tests. */
export async function startApi(env: ApiEnv, options: { logger?: Logger } = {}): Promise<RunningApi> {
  const logger =
    options.logger ?? createLogger({ service: 'api', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
  const redis = createRedis(env.REDIS_URL, 'producer');
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection problem'));
  // A failed first connect does not stop the boot: the api answers 503 on /readyz until Redis is back
  // (ioredis keeps reconnecting), so an orchestrator can start api and Redis in any order.
  await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable yet'));
  const s3 = createS3({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  });

  const server = Fastify({
    loggerInstance: logger,
    // Clients behind a proxy keep connections open; shorter than a typical LB idle timeout (60 s).
    keepAliveTimeout: 65_000,
    requestTimeout: 120_000,
  });
  await server.register(app, { redis, s3, bucket: env.S3_BUCKET });
  const url = await server.listen({ host: env.API_HOST, port: env.API_PORT });

  return {
    url,
    async close() {
      await server.close();
      redis.disconnect();
      s3.destroy();
    },
  };
}
