import { bullPrefix } from '@reelay/jobs';
import type { Logger } from '@reelay/logger';
import { DelayedError, type Job, MetricsTime, type Telemetry, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { WEBHOOK_QUEUE, webhookJobData } from './queue.ts';
import type { WebhookSender } from './sender.ts';

/** Carries the delay the sender chose (schedule or Retry-After) to BullMQ's backoff strategy. */
class RetryLater extends Error {
  override readonly name = 'RetryLater';
  readonly delayMs: number;
  constructor(delayMs: number, attempt: number) {
    super(`webhook attempt ${attempt} failed; next in ${delayMs} ms`);
    this.delayMs = delayMs;
  }
}

export interface WebhookWorkerOptions {
  /** Deliveries at once in this process. A dead endpoint holds at most its own cap of them. */
  concurrency: number;
  /** A job parked for an endpoint slot wakes after this long even if nobody woke it (> the timeout). */
  parkSafetyMs: number;
  /** BullMQ telemetry (`@reelay/telemetry`): a delivery runs in the trace of the job that caused it. */
  telemetry?: Telemetry | undefined;
}

/**
 * The delivery queue's consumer: one job per message, one attempt per run. A failed attempt goes back
 * to BullMQ's delayed set for the sender's delay (BullMQ's retry machinery, with our schedule as its
 * backoff strategy); a job whose endpoint is at its in-flight cap is parked without spending an
 * attempt, and woken by the delivery that frees a slot (so a dead endpoint's backlog sleeps, costing
 * nothing to anybody else's deliveries).
 */
export function createWebhookWorker(
  connection: Redis,
  prefix: string,
  sender: WebhookSender,
  logger: Logger,
  options: WebhookWorkerOptions,
): Worker {
  const worker = new Worker(
    WEBHOOK_QUEUE,
    async (job: Job, token?: string) => {
      const data = webhookJobData.parse(job.data);
      const attempt = job.attemptsMade + 1;
      const result = await sender.deliver(data, attempt, job.id!);
      if (result.kind === 'done') return result.outcome;
      if (result.kind === 'busy') {
        // Sleeps until a delivery to that endpoint ends and wakes it; the delay is only the safety net
        // (every slot is free again by then, its lease included).
        await job.moveToDelayed(Date.now() + options.parkSafetyMs, token);
        const { wakeNow } = await sender.park(result.origin, job.id!);
        if (wakeNow) await job.promote().catch(() => {});
        throw new DelayedError();
      }
      throw new RetryLater(result.delayMs, attempt);
    },
    {
      connection,
      prefix: bullPrefix(prefix),
      concurrency: options.concurrency,
      autorun: false,
      // Per-minute finished/failed counts in Redis, for BullMQ's Prometheus exporter (worker /metrics).
      metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
      telemetry: options.telemetry,
      // A stalled delivery (its worker died mid-request) is simply tried again: receivers dedupe on
      // webhook-id, which is the contract of at-least-once delivery.
      maxStalledCount: 100,
      settings: {
        backoffStrategy: (_attempts: number, _type?: string, error?: Error) =>
          error instanceof RetryLater ? error.delayMs : 1_000,
      },
    },
  );
  worker.on('failed', (job, err) => {
    if (err instanceof RetryLater) return;
    const data = webhookJobData.safeParse(job?.data);
    const ids = data.success ? { tenant: data.data.tenant, videoId: data.data.videoId } : {};
    logger.error({ jobId: job?.id, ...ids, err }, 'webhook delivery crashed');
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'webhook worker connection problem'));
  return worker;
}
