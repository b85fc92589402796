import { createHash, timingSafeEqual } from 'node:crypto';
import { apiErrors } from '@reelay/errors';
import type { ReelayMetrics } from '@reelay/metrics';
import type { FastifyInstance } from 'fastify';
import { bearerPrincipal } from './auth.ts';

/** Counts every answer by method, route pattern and status; a 404 without a route is `unmatched`. */
export function requestMetrics(app: FastifyInstance, metrics: ReelayMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.http({
      method: request.method,
      // The pattern (`/v1/videos/:id`), never the raw URL: one series per route, not per video.
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
    });
  });
}

export interface MetricsRouteOptions {
  metrics: ReelayMetrics;
  /** `METRICS_TOKEN`: a bearer that may scrape without being an API key. */
  token: string | undefined;
  /**
   * On the api's own port, an API key with the `admin` scope may scrape too. On `METRICS_PORT` (a port
   * for the cluster network) no key store is consulted: the token is required when set, else it is open.
   */
  adminKeys: boolean;
}

/** `GET /metrics` in Prometheus' text format. */
export async function metricsRoutes(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { metrics, token, adminKeys } = options;
  app.addHook('onRequest', async (request) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token !== undefined && bearer !== undefined && sameSecret(bearer, token)) return;
    if (adminKeys) {
      await bearerPrincipal(app, request, 'admin');
      return;
    }
    if (token !== undefined)
      throw apiErrors.unauthorized('Send METRICS_TOKEN as "Authorization: Bearer <token>".');
  });
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}

/** Constant-time comparison of two secrets of any lengths (hashed first so the lengths match). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
