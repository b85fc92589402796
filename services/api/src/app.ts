import type { S3Client } from '@aws-sdk/client-s3';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { EventHub, VideoStore, WorkerHeartbeats } from '@reelay/jobs';
import type { ReelayMetrics } from '@reelay/metrics';
import type { Catalog } from '@reelay/providers';
import type { ApiKeyStore, TenantDirectory } from '@reelay/tenants';
import type {
  DeliveryAttempt,
  DeliveryLog,
  Endpoints,
  WebhookNotifier,
  WebhookSecrets,
} from '@reelay/webhooks';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { adminRoutes } from './admin/routes.ts';
import { type DashboardDeps, dashboardRoutes } from './dashboard/routes.ts';
import { requestBodies } from './plugins/bodies.ts';
import { errorHandling } from './plugins/errors.ts';
import { metricsRoutes, requestMetrics } from './plugins/metrics.ts';
import { multipartBodies } from './plugins/multipart.ts';
import { healthRoutes } from './routes/health.ts';
import { videoRoutes } from './videos/routes.ts';
import { webhookRoutes } from './webhooks/routes.ts';

export interface AppDeps {
  redis: Redis;
  s3: S3Client;
  bucket: string;
  store: VideoStore;
  queue: Queue;
  catalog: Catalog;
  apiKeys: ApiKeyStore;
  /** Every tenant, for searches across tenants. */
  tenants: TenantDirectory;
  /** What /readyz requires besides Redis and the bucket. */
  readiness: { heartbeats: WorkerHeartbeats; requireWorkers: boolean };
  events: EventHub;
  contentDelivery: 'stream' | 'redirect';
  presignTtlSeconds: number;
  maxUploadBytes: number;
  /** Wall-clock budget of every job, from its creation. */
  jobDeadlineMs: number;
  webhooks: {
    notifier: WebhookNotifier;
    secrets: WebhookSecrets;
    log: DeliveryLog;
    endpoints: Endpoints;
    /** Sends a signed test event now (through the SSRF guard). */
    sendTest(tenant: string, url: string): Promise<DeliveryAttempt>;
    /** The SSRF guard's checks that need no DNS: scheme, credentials, IP literals. */
    checkUrl(url: string): { ok: true } | { ok: false; reason: string };
  };
  /** The queue dashboard at /admin/queues (Bull Board) and its login sessions. */
  dashboard: DashboardDeps;
  /**
   * Request counters; `/metrics` here when `serve` (admin key or `token`), else on METRICS_PORT.
   * Tests that do not look at metrics leave it out.
   */
  metrics?: { registry: ReelayMetrics; token: string | undefined; serve: boolean };
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
}

/**
 * The api as a plugin: shared services as decorators, then cross-cutting plugins, then routes.
 * server.ts owns the Fastify instance, listen and close; tests build the same thing.
 */
export async function app(instance: FastifyInstance, deps: AppDeps): Promise<void> {
  instance.decorate('deps', deps);
  instance.setValidatorCompiler(validatorCompiler);
  instance.setSerializerCompiler(serializerCompiler);
  errorHandling(instance);
  if (deps.metrics) requestMetrics(instance, deps.metrics.registry);
  await instance.register(swagger, {
    openapi: {
      info: {
        title: 'Reelay',
        version: '0.1.0',
        description:
          'The OpenAI Videos wire (/v1/videos) served by a durable job queue. Reelay fields live under `reelay` in each video object.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // The rendered reference at /docs (public, assets served from the package: works offline).
  await instance.register(swaggerUi, { routePrefix: '/docs', theme: { title: 'Reelay API reference' } });
  // Fastify parses text/plain bodies by default; a create sent as text would then fail validation as
  // "expected object" (400) instead of being refused for its content type (415) like any other type.
  instance.removeContentTypeParser('text/plain');
  requestBodies(instance);
  await multipartBodies(instance, { maxUploadBytes: deps.maxUploadBytes });

  await instance.register(healthRoutes);
  instance.get('/openapi.json', { schema: { hide: true } }, async () => instance.swagger());
  await instance.register(videoRoutes, { prefix: '/v1', flavor: 'openai' });
  await instance.register(videoRoutes, { prefix: '/newapi/v1', flavor: 'newapi' });
  await instance.register(webhookRoutes, { prefix: '/v1' });
  await instance.register(adminRoutes, { prefix: '/admin' });
  await instance.register(dashboardRoutes, { prefix: '/admin' });
  if (deps.metrics?.serve) {
    const { registry, token } = deps.metrics;
    await instance.register(metricsRoutes, { metrics: registry, token, adminKeys: true });
  }
}
