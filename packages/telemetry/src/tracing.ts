import { randomUUID } from 'node:crypto';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, propagation, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { BullMQOtel } from 'bullmq-otel';
import type { FastifyRequest } from 'fastify';
import type { TelemetryEnv } from './env.ts';
import type { Telemetry } from './telemetry.ts';

/** Probes and scrapes, asked every few seconds by orchestrators: a trace each would drown the real ones. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The tracing SDK proper, imported only when an exporter is configured. Instrumentations, and why none
 * needs a module loader under Node 24 ESM:
 * - outgoing HTTP through undici and the global fetch (providers, webhooks): diagnostics channels;
 * - S3 (`@aws-sdk/client-s3`): require hooks on the SDK's CommonJS modules (`@smithy/*`), which only
 *   see modules loaded after this runs, hence the dynamic imports in each service's main.ts;
 * - Fastify: a plugin the api registers before its routes;
 * - BullMQ: its `telemetry` option, which carries the trace context in each job's options.
 */
export function startTracing(config: TelemetryEnv, url: string, serviceName: string): Telemetry {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );

  const protocol = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL;
  const exporter =
    protocol === 'http/json' ? new JsonTraceExporter({ url }) : new ProtobufTraceExporter({ url });
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...config.OTEL_RESOURCE_ATTRIBUTES,
        [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? serviceName,
        // Tells replicas apart (semantic conventions: a random UUID per process).
        'service.instance.id': randomUUID(),
      }),
    ),
    sampler: sampler(config),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
        maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE,
        maxExportBatchSize: Math.min(config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, config.OTEL_BSP_MAX_QUEUE_SIZE),
        exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);

  const fastify = new FastifyOtelInstrumentation({
    // The root span is named like an HTTP server span: `POST /v1/videos`.
    requestHook: (span: Span, request: FastifyRequest) => {
      const route = request.routeOptions.url;
      if (route !== undefined) span.updateName(`${request.method} ${route}`);
    },
    ignorePaths: ({ url: path }: { url: string }) => UNTRACED_PATHS.has(path.split('?')[0] ?? path),
  });
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new UndiciInstrumentation(),
      // The SDK call's span is enough; its inner HTTP request would only repeat it.
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
      fastify,
    ],
  });

  return {
    enabled: true,
    bullmqTelemetry: new BullMQOtel({ tracerName: 'bullmq' }),
    fastifyPlugin: fastify.plugin(),
    async shutdown() {
      unregister();
      // Flushes what is still batched; the exporter gives up after OTEL_BSP_EXPORT_TIMEOUT.
      await provider.shutdown().catch(() => {});
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

function sampler(config: TelemetryEnv): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  switch (config.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
