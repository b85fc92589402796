import { env, parseEnv } from '@reelay/config';
import { z } from 'zod';

// The standard OpenTelemetry variables this package honors, parsed once at boot like every other
// variable (packages/config): a bad value stops the service with one line naming it. The exporter also
// reads its own transport variables (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE,
// and their _TRACES_ forms) as the OpenTelemetry SDK defines them; those are not repeated here.

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;

/** `key=value,key2=value2` with percent-encoded values (the spec's OTEL_RESOURCE_ATTRIBUTES format). */
const resourceAttributes = z
  .string()
  .transform((value, ctx) => {
    const attributes: Record<string, string> = {};
    for (const pair of value.split(',')) {
      if (pair.trim() === '') continue;
      const at = pair.indexOf('=');
      const key = at > 0 ? pair.slice(0, at).trim() : '';
      if (key === '') {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated key=value pairs' });
        return z.NEVER;
      }
      try {
        attributes[key] = decodeURIComponent(pair.slice(at + 1).trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `has a badly percent-encoded value for ${key}` });
        return z.NEVER;
      }
    }
    return attributes;
  })
  .optional();

export const telemetryEnvSchema = z.object({
  /** `true` turns tracing off whatever else is set. */
  OTEL_SDK_DISABLED: env.bool(false),
  /** `none` turns tracing off; only OTLP is exported. */
  OTEL_TRACES_EXPORTER: env.oneOf(['otlp', 'none'] as const, 'otlp'),
  /** Collector base URL; traces go to `<base>/v1/traces`. Tracing is off while neither endpoint is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url(['http', 'https']).optional(),
  /** The full traces URL, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.url(['http', 'https']).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: env.oneOf(PROTOCOLS, 'http/protobuf'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z
    .enum(PROTOCOLS, { error: `must be one of ${PROTOCOLS.join(', ')}` })
    .optional(),
  /** @defaultValue the service's own name: `reelay-api`, `reelay-worker` */
  OTEL_SERVICE_NAME: z.string().optional(),
  OTEL_RESOURCE_ATTRIBUTES: resourceAttributes,
  OTEL_TRACES_SAMPLER: env.oneOf(SAMPLERS, 'parentbased_always_on'),
  /** The ratio of the `*traceidratio` samplers. */
  OTEL_TRACES_SAMPLER_ARG: env.number(1, 0, 1),
  /** Batch span processor: ms between two exports, queue size, batch size, export timeout. */
  OTEL_BSP_SCHEDULE_DELAY: env.int(5_000, 0),
  OTEL_BSP_MAX_QUEUE_SIZE: env.int(2_048, 1),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: env.int(512, 1),
  OTEL_BSP_EXPORT_TIMEOUT: env.int(30_000, 0),
});

export type TelemetryEnv = z.infer<typeof telemetryEnvSchema>;

/** Parses the OTEL_* variables; throws ConfigError (one line) on a bad value. */
export const parseTelemetryEnv = (source: Record<string, string | undefined>): TelemetryEnv =>
  parseEnv(telemetryEnvSchema, source);

/**
 * Where spans go, or undefined when tracing is off: no endpoint configured (the SDK's usual fallback to
 * localhost:4318 is deliberately not taken), `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 */
export function tracesUrl(config: TelemetryEnv): string | undefined {
  if (config.OTEL_SDK_DISABLED || config.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}
