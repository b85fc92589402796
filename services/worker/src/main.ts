import { closeOnSignal, failBoot } from '@reelay/lifecycle';
import { createLogger } from '@reelay/logger';
import { EvictionPolicyError } from '@reelay/redis';
import { startTelemetry } from '@reelay/telemetry';

// Tracing starts first (it reads only its OTEL_* variables) and env.ts and server.ts are imported after
// it: the S3 instrumentation only sees AWS SDK modules that load later. Keep static imports here free of
// anything that loads @aws-sdk/*.
const telemetry = await startTelemetry({ serviceName: 'reelay-worker', env: process.env });
const { loadWorkerEnv } = await import('./env.ts');
const { startWorker } = await import('./server.ts');

const env = loadWorkerEnv();
const logger = createLogger({
  service: 'worker',
  level: env.LOG_LEVEL,
  pretty: env.LOG_PRETTY,
  logPrompts: env.LOG_PROMPTS,
});
try {
  const worker = await startWorker(env, { logger, telemetry });
  closeOnSignal(
    logger,
    async () => {
      await worker.close();
      await telemetry.shutdown();
    },
    { timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
  );
} catch (error) {
  if (error instanceof EvictionPolicyError) failBoot('reelay-worker', error.message, 78);
  throw error;
}
