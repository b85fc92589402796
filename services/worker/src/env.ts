import { env, loadConfig } from '@reelay/config';
import { z } from 'zod';

/** Every variable the worker reads. This is the only place it reads `process.env`. */
export const workerEnvSchema = z.object({
  ...env.logSection,
  ...env.redisSection,
  ...env.s3Section,
  WORKER_HEALTH_HOST: env.text('0.0.0.0'),
  WORKER_HEALTH_PORT: env.port(8081),
  SHUTDOWN_TIMEOUT_MS: env.int(30_000, 0),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export const loadWorkerEnv = (source: Record<string, string | undefined> = process.env): WorkerEnv =>
  loadConfig('reelay-worker', workerEnvSchema, source);
