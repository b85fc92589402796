import { env, loadConfig } from '@reelay/config';
import { z } from 'zod';

/** Every variable the api reads. This is the only place it reads `process.env`. */
export const apiEnvSchema = z.object({
  ...env.logSection,
  ...env.redisSection,
  ...env.s3Section,
  API_HOST: env.text('0.0.0.0'),
  API_PORT: env.port(8080),
  SHUTDOWN_TIMEOUT_MS: env.int(10_000, 0),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const loadApiEnv = (source: Record<string, string | undefined> = process.env): ApiEnv =>
  loadConfig('reelay-api', apiEnvSchema, source);
