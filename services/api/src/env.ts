import { env, loadConfig } from '@reelay/config';
import { accountsSchema } from '@reelay/providers';
import { webhookNetSection } from '@reelay/webhooks';
import { z } from 'zod';

/** Every variable the api reads. This is the only place it reads `process.env`. */
export const apiEnvSchema = z.object({
  ...env.logSection,
  ...env.redisSection,
  ...env.s3Section,
  ...webhookNetSection,
  PROVIDER_ACCOUNTS: env.json(accountsSchema),
  API_HOST: env.text('0.0.0.0'),
  API_PORT: env.port(8080),
  /** JSON bodies: a 32,000-character prompt with metadata fits in well under 1 MiB. */
  API_BODY_LIMIT_BYTES: env.int(1024 * 1024, 1024),
  /** An `input_reference` image upload. */
  API_MAX_UPLOAD_BYTES: env.int(20 * 1024 * 1024, 1024),
  IDEMPOTENCY_TTL_S: env.int(24 * 3600, 24 * 3600),
  /** How long an API key lookup is cached in-process (= how long a revoked key keeps working). */
  API_KEY_CACHE_MS: env.int(10_000, 0),
  /** `stream` serves content through the api; `redirect` answers 302 to a presigned S3 URL. */
  CONTENT_DELIVERY: env.oneOf(['stream', 'redirect'] as const, 'stream'),
  PRESIGN_TTL_S: env.int(3600, 60, 7 * 24 * 3600),
  /** Every job fails with `deadline_exceeded` once this much time has passed since its creation. */
  JOB_DEADLINE_MS: env.int(2 * 3600 * 1000, 1_000),
  SHUTDOWN_TIMEOUT_MS: env.int(10_000, 0),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const loadApiEnv = (source: Record<string, string | undefined> = process.env): ApiEnv =>
  loadConfig('reelay-api', apiEnvSchema, source);
