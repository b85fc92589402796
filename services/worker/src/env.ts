import { env, loadConfig } from '@reelay/config';
import { accountsSchema } from '@reelay/providers';
import { webhookWorkerSection } from '@reelay/webhooks';
import { z } from 'zod';

/** Every variable the worker reads. This is the only place it reads `process.env`. */
export const workerEnvSchema = z.object({
  ...env.logSection,
  ...env.redisSection,
  ...env.s3Section,
  ...webhookWorkerSection,
  WORKER_HEALTH_HOST: env.text('0.0.0.0'),
  WORKER_HEALTH_PORT: env.port(8081),
  PROVIDER_ACCOUNTS: env.json(accountsSchema),
  /** Steps run at once per process. Steps are short I/O; a render in flight holds none. */
  WORKER_CONCURRENCY: env.int(64, 1, 10_000),
  /** A dead worker's job is taken over after about this long. */
  WORKER_LOCK_MS: env.int(30_000, 1_000),
  /** A provider concurrency slot whose holder stopped renewing it comes back after this long. */
  SLOT_LEASE_MS: env.int(120_000, 5_000),
  /**
   * A create whose answer was lost is looked for at the provider (instead of posted again) only this long
   * after it was sent: the provider call's 30 s timeout plus a margin, so that a POST still in flight (a
   * worker frozen past its lock, a slow provider) is never mistaken for one that made nothing.
   */
  SUBMIT_SETTLE_MS: env.int(45_000, 0),
  /** Polling bounds per job, and the first poll of a kind of render never seen before. */
  POLL_MIN_MS: env.int(500, 10),
  POLL_MAX_MS: env.int(30_000, 100),
  POLL_COLD_START_MS: env.int(2_000, 10),
  /**
   * With many renders in flight on an account, their status comes from one shared list answer at most
   * this old (it adds up to this much to completion detection).
   */
  BULK_STATUS_MAX_AGE_MS: env.int(1_000, 1, 60_000),
  /** Renders in flight on an account before status is read in bulk. */
  BULK_STATUS_MIN_IN_FLIGHT: env.int(4, 1),
  /** Prompts appear in logs only when this is on (they are the callers' content); secrets never do. */
  LOG_PROMPTS: env.bool(false),
  SHUTDOWN_TIMEOUT_MS: env.int(30_000, 0),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export const loadWorkerEnv = (source: Record<string, string | undefined> = process.env): WorkerEnv =>
  loadConfig('reelay-worker', workerEnvSchema, source);
