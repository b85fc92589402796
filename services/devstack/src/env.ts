import { resolve } from 'node:path';
import { env, loadConfig } from '@reelay/config';
import { z } from 'zod';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The local stack's settings. Each embedded default is replaced by configuration: set REDIS_URL,
 * S3_ENDPOINT (+ credentials) or PROVIDER_ACCOUNTS and the stack uses those instead of starting its own.
 */
export const devstackEnvSchema = z.object({
  LOG_LEVEL: env.logLevel(),
  REELAY_DATA_DIR: env.text(resolve(REPO_ROOT, '.data')),
  REDIS_URL: env.redisUrl().optional(),
  REDIS_PORT: env.port(6390),
  S3_ENDPOINT: env.url(['http', 'https']).optional(),
  S3_REGION: env.text('us-east-1'),
  S3_BUCKET: env.bucketName('reelay'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_PORT: env.port(9000),
  PROVIDER_ACCOUNTS: z.string().optional(),
  SIM_PORT: env.port(8090),
  SIM_TIME_FACTOR: env.number(0.1, 0.0001, 100),
  API_PORT: env.port(8080),
  WORKER_HEALTH_PORT: env.port(8081),
  /**
   * Local development sends webhooks to receivers on this machine, which the SSRF guard blocks
   * everywhere else: the local stack allows loopback (passed to api and worker; checked there).
   */
  WEBHOOK_ALLOW: env.text('127.0.0.0/8,::1'),
});

export type DevstackEnv = z.infer<typeof devstackEnvSchema>;

export const loadDevstackEnv = (): DevstackEnv => loadConfig('reelay-up', devstackEnvSchema);
