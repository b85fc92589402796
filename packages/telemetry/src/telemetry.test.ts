import { ConfigError } from '@reelay/config';
import { describe, expect, it } from 'vitest';
import { parseTelemetryEnv, tracesUrl } from './env.ts';
import { startTelemetry } from './telemetry.ts';

/** Where @opentelemetry/api keeps its process-wide registrations (tracer provider, context, propagator). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

describe('startTelemetry', () => {
  it('is off, and registers nothing, without an exporter endpoint', async () => {
    const telemetry = await startTelemetry({ serviceName: 'reelay-test', env: {} });
    expect(telemetry.enabled).toBe(false);
    expect(telemetry.bullmqTelemetry).toBeUndefined();
    expect(telemetry.fastifyPlugin).toBeUndefined();
    expect((globalThis as Record<symbol, unknown>)[OTEL_GLOBAL]).toBeUndefined();
    await telemetry.shutdown();
  });

  it.each([{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }])(
    'is off with an endpoint when turned off: %o',
    async (off) => {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', ...off };
      expect((await startTelemetry({ serviceName: 'reelay-test', env })).enabled).toBe(false);
      expect((globalThis as Record<symbol, unknown>)[OTEL_GLOBAL]).toBeUndefined();
    },
  );
});

describe('telemetry env', () => {
  it('sends traces to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    const url = (env: Record<string, string>) => tracesUrl(parseTelemetryEnv(env));
    expect(url({})).toBeUndefined();
    expect(url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      url({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/v1/traces',
      }),
    ).toBe('https://traces.example/otlp/v1/traces');
  });

  it('reads the spec defaults and resource attributes', () => {
    const env = parseTelemetryEnv({
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, team=video%20ops',
    });
    expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
    expect(env.OTEL_TRACES_SAMPLER).toBe('parentbased_always_on');
    expect(env.OTEL_BSP_SCHEDULE_DELAY).toBe(5_000);
    expect(env.OTEL_RESOURCE_ATTRIBUTES).toEqual({
      'deployment.environment.name': 'prod',
      team: 'video ops',
    });
  });

  it.each([
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT must be a http:// or https:// URL',
    ],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be one of'],
    [{ OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG must be at most 1'],
    [{ OTEL_RESOURCE_ATTRIBUTES: '=x' }, 'OTEL_RESOURCE_ATTRIBUTES must be comma-separated key=value pairs'],
  ])('names a bad value: %o', (env, message) => {
    expect(() => parseTelemetryEnv(env)).toThrow(ConfigError);
    expect(() => parseTelemetryEnv(env)).toThrow(message);
  });
});
