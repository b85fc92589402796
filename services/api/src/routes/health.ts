import { assertNoEviction } from '@reelay/redis';
import { headBucket } from '@reelay/storage';
import type { FastifyInstance } from 'fastify';

/** Liveness answers without touching dependencies; readiness checks them, each with a short timeout. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  // Ready: Redis answers and never evicts (BullMQ would lose jobs), the bucket exists, and (unless
  // READY_REQUIRE_WORKERS=false) a worker beat within the last 30 s, so accepted jobs will run.
  // `missing` names every check that failed.
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const { redis, s3, bucket, readiness } = app.deps;
    let workers = 0;
    const [redisCheck, noeviction, bucketCheck] = await Promise.all([
      check(() => redis.ping()),
      check(() => assertNoEviction(redis)),
      check(() => headBucket(s3, bucket)),
      check(async () => {
        workers = await readiness.heartbeats.count();
      }),
    ]);
    const missing = Object.entries({ redis: redisCheck, noeviction, bucket: bucketCheck })
      .filter(([, result]) => result !== 'ok')
      .map(([name]) => name);
    if (readiness.requireWorkers && workers === 0) missing.push('workers');
    return reply.code(missing.length === 0 ? 200 : 503).send({
      status: missing.length === 0 ? 'ready' : 'unready',
      redis: redisCheck,
      noeviction,
      bucket: bucketCheck,
      workers,
      missing,
    });
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
