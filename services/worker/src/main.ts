import { closeOnSignal, failBoot } from '@reelay/lifecycle';
import { createLogger } from '@reelay/logger';
import { EvictionPolicyError } from '@reelay/redis';
import { loadWorkerEnv } from './env.ts';
import { startWorker } from './server.ts';

const env = loadWorkerEnv();
const logger = createLogger({ service: 'worker', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
try {
  const worker = await startWorker(env, { logger });
  closeOnSignal(logger, () => worker.close(), { timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
} catch (error) {
  if (error instanceof EvictionPolicyError) failBoot('reelay-worker', error.message, 78);
  throw error;
}
