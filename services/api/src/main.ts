import { closeOnSignal } from '@reelay/lifecycle';
import { createLogger } from '@reelay/logger';
import { startTelemetry } from '@reelay/telemetry';

// Tracing starts first (it reads only its OTEL_* variables) and env.ts and server.ts are imported after
// it: the S3 instrumentation only sees AWS SDK modules that load later. Keep static imports here free of
// anything that loads @aws-sdk/*.
const telemetry = await startTelemetry({ serviceName: 'reelay-api', env: process.env });
const { loadApiEnv } = await import('./env.ts');
const { startApi } = await import('./server.ts');

const env = loadApiEnv();
const logger = createLogger({
  service: 'api',
  level: env.LOG_LEVEL,
  pretty: env.LOG_PRETTY,
  logPrompts: env.LOG_PROMPTS,
});
const api = await startApi(env, { logger, telemetry });
closeOnSignal(
  logger,
  async () => {
    await api.close();
    await telemetry.shutdown();
  },
  { timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
);
