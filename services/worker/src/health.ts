import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

/** The worker's own small HTTP server: liveness and readiness for orchestrators, nothing else. */
export function healthServer(redis: Redis, logger: FastifyInstance['log']): FastifyInstance {
  // Probes arrive every few seconds: log only what goes wrong, not each request.
  const app = Fastify({ loggerInstance: logger.child({ scope: 'health' }, { level: 'warn' }) });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ok = redis.status === 'ready';
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unready', redis: redis.status });
  });
  return app;
}
