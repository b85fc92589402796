import { loadConfig } from '@reelay/config';
import type { Telemetry as BullMQTelemetry } from 'bullmq';
import type { FastifyPluginCallback } from 'fastify';
import { telemetryEnvSchema, tracesUrl } from './env.ts';

export interface Telemetry {
  /** False when no exporter is configured: nothing was loaded or registered. */
  enabled: boolean;
  /** BullMQ's `telemetry` option for every Queue and Worker: spans, and the trace carried in each job. */
  bullmqTelemetry?: BullMQTelemetry;
  /** Register on the Fastify instance before the routes: a span per request, parented by `traceparent`. */
  fastifyPlugin?: FastifyPluginCallback;
  /** Exports what is still batched, then unregisters everything. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** `service.name` unless OTEL_SERVICE_NAME is set, and the name on the boot line of a bad value. */
  serviceName: string;
  /** The process environment; only its OTEL_* variables are read. */
  env: Record<string, string | undefined>;
}

const DISABLED: Telemetry = { enabled: false, shutdown: async () => {} };

/**
 * Starts tracing when an OTLP endpoint is configured, else returns `enabled: false` having loaded and
 * registered nothing (the SDK is imported only on the enabled path). Call it before importing anything
 * that loads `@aws-sdk/*`: the S3 instrumentation only sees modules loaded after it. A bad OTEL_* value
 * stops the process with one line, like the rest of the configuration.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const config = loadConfig(options.serviceName, telemetryEnvSchema, options.env);
  const url = tracesUrl(config);
  if (url === undefined) return DISABLED;
  const { startTracing } = await import('./tracing.ts');
  return startTracing(config, url, options.serviceName);
}
