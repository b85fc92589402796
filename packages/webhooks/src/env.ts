import { env } from '@reelay/config';
import { type AllowList, type NetPolicy, parseAllowList } from '@reelay/netguard';
import { z } from 'zod';
import { DEFAULT_RETRY_SCHEDULE, parseDuration, parseSchedule } from './schedule.ts';

// Environment fields for webhook delivery, spread into the api's and the worker's env schemas. Each
// error message completes "<VARIABLE> must ..." like the other field builders.

const custom = <T>(parse: (text: string) => T, message: string) =>
  z.string().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${message} (${(error as Error).message})` });
      return z.NEVER;
    }
  });

/** What both the api (test events, create-time URL checks) and the worker (deliveries) need. */
export const webhookNetSection = {
  /**
   * Exceptions to the SSRF guard, comma-separated IPs, CIDRs or hostnames (local development and
   * tests send to 127.0.0.1). Empty in production.
   */
  WEBHOOK_ALLOW: custom(
    (text) =>
      parseAllowList(
        text
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
    'be a comma-separated list of IPs, CIDRs or hostnames',
  ).default(parseAllowList([])),
  /** https-only webhook URLs. `auto`: on when NODE_ENV=production. */
  WEBHOOK_REQUIRE_HTTPS: env.oneOf(['auto', 'true', 'false'] as const, 'auto'),
  /** Per delivery attempt, connect to last byte. */
  WEBHOOK_TIMEOUT_MS: env.int(10_000, 100, 120_000),
};

export const webhookWorkerSection = {
  ...webhookNetSection,
  /** Deliveries at once per worker process. */
  WEBHOOK_CONCURRENCY: env.int(64, 1, 10_000),
  /** Deliveries in flight to one endpoint (scheme + host + port), across all worker processes. */
  WEBHOOK_ENDPOINT_CONCURRENCY: env.int(4, 1, 1_000),
  /** Delays before each retry, e.g. `5s,5m,30m,2h,5h,10h,10h`. */
  WEBHOOK_RETRY_SCHEDULE: custom(parseSchedule, 'be comma-separated durations like 5s,5m,2h').default(
    parseSchedule(DEFAULT_RETRY_SCHEDULE),
  ),
  /** Multiplies every retry delay: 0.001 turns a day of retries into about 100 s (tests, demos). */
  WEBHOOK_RETRY_SCALE: env.number(1, 0.000_001, 1_000),
  /** An endpoint failing without one success for this long is disabled. */
  WEBHOOK_DISABLE_AFTER: custom(parseDuration, 'be a duration like 12h or 5d').default(parseDuration('5d')),
  /** Validity of the download link inside a completion webhook (S3 allows at most 7 days). */
  WEBHOOK_DOWNLOAD_URL_TTL_S: env.int(24 * 3600, 60, 7 * 24 * 3600),
};

/** The SSRF guard's policy from the parsed env (`WEBHOOK_REQUIRE_HTTPS=auto` follows NODE_ENV). */
export function netPolicyFromEnv(parsed: {
  NODE_ENV: string;
  WEBHOOK_REQUIRE_HTTPS: 'auto' | 'true' | 'false';
  WEBHOOK_ALLOW: AllowList;
}): NetPolicy {
  const setting = parsed.WEBHOOK_REQUIRE_HTTPS;
  return {
    requireHttps: setting === 'true' || (setting === 'auto' && parsed.NODE_ENV === 'production'),
    allow: parsed.WEBHOOK_ALLOW,
  };
}
