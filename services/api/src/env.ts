import { isIP } from 'node:net';
import { env, loadConfig } from '@reelay/config';
import { accountsSchema } from '@reelay/providers';
import { webhookNetSection } from '@reelay/webhooks';
import { z } from 'zod';

/** `addr` or `addr/bits` with an IPv4 or IPv6 address and a prefix length that fits it. */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Fastify's `trustProxy`: whose X-Forwarded-For/-Proto/-Host to believe. Unset or false: nobody's, the
 * peer is the client. A number: that many proxy hops. Otherwise the proxies' addresses or CIDRs. `true`
 * believes any sender, for an api only a proxy can reach.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): boolean | number | string[] => {
    const v = (value ?? '').trim().toLowerCase();
    if (v === '' || ['false', 'no', 'off', '0'].includes(v)) return false;
    if (['true', 'yes', 'on'].includes(v)) return true;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    const entries = v
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.length > 0 && entries.every(isAddressOrCidr)) return entries;
    ctx.addIssue({
      code: 'custom',
      message: 'must be true, false, a proxy hop count, or comma-separated proxy addresses or CIDRs',
    });
    return z.NEVER;
  });

/** Every variable the api reads. This is the only place it reads `process.env`. */
export const apiEnvSchema = z.object({
  ...env.logSection,
  ...env.redisSection,
  ...env.s3Section,
  ...webhookNetSection,
  PROVIDER_ACCOUNTS: env.json(accountsSchema),
  API_HOST: env.text('0.0.0.0'),
  API_PORT: env.port(8080),
  /**
   * Behind a TLS-terminating load balancer: its address(es), so that requests it forwarded count as
   * https (the dashboard's session cookie is then Secure) and logs show the client's address.
   */
  TRUST_PROXY: trustProxy,
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
  /**
   * Lets the queue dashboard (/admin/queues) retry, promote and clean jobs. Off: the board is read-only,
   * since a click there acts on every tenant's jobs.
   */
  DASHBOARD_ACTIONS: env.bool(false),
  /** Prompts appear in logs only when this is on (they are the callers' content); secrets never do. */
  LOG_PROMPTS: env.bool(false),
  /**
   * /readyz requires a worker heartbeat within the last 30 s. Off for deployments that start the api
   * before any worker (the api accepts and queues jobs either way).
   */
  READY_REQUIRE_WORKERS: env.bool(true),
  /** A bearer token Prometheus may scrape /metrics with (an admin-scope API key works too). */
  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /** Serve /metrics on this port instead of the api's (0: on the api's port). */
  METRICS_PORT: env.port(0),
  SHUTDOWN_TIMEOUT_MS: env.int(10_000, 0),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const loadApiEnv = (source: Record<string, string | undefined> = process.env): ApiEnv =>
  loadConfig('reelay-api', apiEnvSchema, source);
