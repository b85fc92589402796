import { headBucket } from '@reelay/storage';
import type { FastifyInstance } from 'fastify';

/** Liveness answers without touching dependencies; readiness checks them, each with a short timeout. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const { redis, s3, bucket } = app.deps;
    const [redisCheck, s3Check] = await Promise.all([
      check(() => redis.ping()),
      check(() => headBucket(s3, bucket)),
    ]);
    const ready = redisCheck === 'ok' && s3Check === 'ok';
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unready', redis: redisCheck, s3: s3Check });
  });
}

async function check(probe: () => Promise<unknown>, timeoutMs = 2_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
