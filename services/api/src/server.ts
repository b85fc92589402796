import { createRenderQueue, EventHub, VideoStore, WorkerHeartbeats } from '@reelay/jobs';
import { createLogger, type Logger } from '@reelay/logger';
import { createMetrics } from '@reelay/metrics';
import { Catalog } from '@reelay/providers';
import { createRedis } from '@reelay/redis';
import { createS3FromEnv } from '@reelay/storage';
import type { Telemetry } from '@reelay/telemetry';
import { ApiKeyStore, TenantDirectory } from '@reelay/tenants';
import {
  createGuardedSend,
  createWebhookQueue,
  DeliveryLog,
  Endpoints,
  netPolicyFromEnv,
  sendTestEvent,
  WebhookNotifier,
  WebhookSecrets,
} from '@reelay/webhooks';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { app } from './app.ts';
import { AdminSessions } from './dashboard/sessions.ts';
import type { ApiEnv } from './env.ts';
import { clientErrors, errorHandling, frameworkErrors } from './plugins/errors.ts';
import { metricsRoutes } from './plugins/metrics.ts';

export interface RunningApi {
  url: string;
  /** Where `/metrics` is served: `url`, or its own port with METRICS_PORT. */
  metricsUrl: string;
  close(): Promise<void>;
}

/** Wires config, logger, Redis and S3 into the app and listens. Used by main.ts and by tests. */
export async function startApi(
  env: ApiEnv,
  options: { logger?: Logger; telemetry?: Telemetry } = {},
): Promise<RunningApi> {
  const logger =
    options.logger ??
    createLogger({
      service: 'api',
      level: env.LOG_LEVEL,
      pretty: env.LOG_PRETTY,
      logPrompts: env.LOG_PROMPTS,
    });
  const redis = createRedis(env.REDIS_URL, 'producer');
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection problem'));
  // A failed first connect does not stop the boot: the api answers 503 on /readyz until Redis is back
  // (ioredis keeps reconnecting), so an orchestrator can start api and Redis in any order.
  await redis.connect().catch((err: Error) => logger.warn({ err: err.message }, 'redis not reachable yet'));
  // Pub/sub needs a connection of its own; it may wait for Redis like a worker does.
  const subscriber = createRedis(env.REDIS_URL, 'worker');
  subscriber.on('error', () => {});
  const s3 = createS3FromEnv(env);
  // BullMQ gets a connection of its own: it defines ~50 Lua scripts on it, and ioredis copies every
  // defined script into each MULTI/pipeline made on that connection (tens of µs per use on ours).
  const queueConnection = createRedis(env.REDIS_URL, 'producer');
  queueConnection.on('error', () => {});
  await queueConnection.connect().catch(() => {});
  // With tracing on, each job carries the create request's trace into the worker.
  const telemetry = options.telemetry?.bullmqTelemetry;
  const queue = createRenderQueue(queueConnection, env.REDIS_PREFIX, { telemetry });
  queue.on('error', (err) => logger.warn({ err: err.message }, 'queue connection problem'));

  // Webhook events the api itself causes (a queued job canceled) go on the delivery queue like the
  // worker's; it shares BullMQ's connection.
  const webhookQueue = createWebhookQueue(queueConnection, env.REDIS_PREFIX, { telemetry });
  const store = new VideoStore(redis, env.REDIS_PREFIX, env.IDEMPOTENCY_TTL_S * 1000);
  const http = createGuardedSend(netPolicyFromEnv(env));
  const secrets = new WebhookSecrets(redis, env.REDIS_PREFIX);
  const endpoints = new Endpoints(redis, env.REDIS_PREFIX);
  const webhooks = {
    notifier: new WebhookNotifier(webhookQueue, store),
    secrets,
    log: new DeliveryLog(redis, env.REDIS_PREFIX),
    endpoints,
    checkUrl: http.checkUrl,
    sendTest: (tenant: string, url: string) =>
      sendTestEvent({ secrets, endpoints, send: http.send, timeoutMs: env.WEBHOOK_TIMEOUT_MS }, tenant, url),
  };

  const metrics = createMetrics({ service: 'api' });
  const trusted = env.TRUST_PROXY;
  const server = Fastify({
    loggerInstance: logger,
    frameworkErrors,
    clientErrorHandler: clientErrors,
    bodyLimit: env.API_BODY_LIMIT_BYTES,
    // A hop count as the function Fastify would make of it (its types take lists and booleans only).
    trustProxy: typeof trusted === 'number' ? (_address: string, hop: number) => hop < trusted : trusted,
    // Clients behind a proxy keep connections open; longer than a typical LB idle timeout (60 s).
    keepAliveTimeout: 65_000,
    requestTimeout: 120_000,
  });
  // Before the routes, so that every request gets its span.
  if (options.telemetry?.fastifyPlugin) await server.register(options.telemetry.fastifyPlugin);
  await server.register(app, {
    redis,
    s3,
    bucket: env.S3_BUCKET,
    store,
    queue,
    catalog: new Catalog(env.PROVIDER_ACCOUNTS),
    apiKeys: new ApiKeyStore(redis, env.REDIS_PREFIX, env.API_KEY_CACHE_MS),
    tenants: new TenantDirectory(redis, env.REDIS_PREFIX),
    readiness: {
      heartbeats: new WorkerHeartbeats(redis, env.REDIS_PREFIX),
      requireWorkers: env.READY_REQUIRE_WORKERS,
    },
    events: new EventHub(subscriber),
    contentDelivery: env.CONTENT_DELIVERY,
    presignTtlSeconds: env.PRESIGN_TTL_S,
    maxUploadBytes: env.API_MAX_UPLOAD_BYTES,
    jobDeadlineMs: env.JOB_DEADLINE_MS,
    webhooks,
    dashboard: {
      queues: [queue, webhookQueue],
      actions: env.DASHBOARD_ACTIONS,
      sessions: new AdminSessions(redis, env.REDIS_PREFIX),
    },
    metrics: { registry: metrics, token: env.METRICS_TOKEN, serve: env.METRICS_PORT === 0 },
  });
  const url = await server.listen({ host: env.API_HOST, port: env.API_PORT });
  // METRICS_PORT: /metrics alone on a port of its own (for the cluster network), not on the api's.
  const metricsLog: FastifyBaseLogger = logger.child({ scope: 'metrics' });
  const metricsServer = env.METRICS_PORT === 0 ? null : Fastify({ loggerInstance: metricsLog });
  let metricsUrl = url;
  if (metricsServer) {
    errorHandling(metricsServer);
    await metricsServer.register(metricsRoutes, { metrics, token: env.METRICS_TOKEN, adminKeys: false });
    metricsUrl = await metricsServer.listen({ host: env.API_HOST, port: env.METRICS_PORT });
  }

  return {
    url,
    metricsUrl,
    async close() {
      await metricsServer?.close();
      await server.close();
      await queue.close();
      await webhookQueue.close();
      await http.close();
      queueConnection.disconnect();
      subscriber.disconnect();
      redis.disconnect();
      s3.destroy();
    },
  };
}
