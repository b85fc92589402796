import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * The worker's own small HTTP server: liveness and readiness for orchestrators, and `/metrics` for
 * Prometheus (no auth: this port is meant for the cluster network only).
 */
export function healthServer(
  redis: Redis,
  logger: FastifyInstance['log'],
  metrics?: { render(): Promise<{ contentType: string; body: string }> },
): FastifyInstance {
  // Probes arrive every few seconds: log only what goes wrong, not each request.
  const app = Fastify({ loggerInstance: logger.child({ scope: 'health' }, { level: 'warn' }) });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ok = redis.status === 'ready';
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unready', redis: redis.status });
  });
  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.type(contentType).send(body);
    });
  }
  return app;
}
