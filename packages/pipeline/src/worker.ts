import { bullPrefix, RENDER_QUEUE, renderJobData } from '@reelay/jobs';
import type { Logger } from '@reelay/logger';
import { DelayedError, type Job, MetricsTime, type Telemetry, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type RenderPipeline, WAITING_FOR_SLOT } from './steps.ts';

export interface RenderWorkerOptions {
  /** Steps run at once in this process; steps are short I/O, renders never hold one. @defaultValue 64 */
  concurrency: number;
  /** A job whose worker died is taken over after about this long. @defaultValue 30_000 */
  lockMs: number;
  /** BullMQ telemetry (`@reelay/telemetry`): each step runs in the trace of the request that made the job. */
  telemetry?: Telemetry | undefined;
}

/**
 * The BullMQ side of the step machine: runs the job's current step, then either lets the job complete
 * or moves it to `delayed` until its next step is due (BullMQ's step-job pattern). A job stalled by a
 * dead worker comes back and re-runs its step from the record, which every step tolerates.
 */
export function createRenderWorker(
  connection: Redis,
  prefix: string,
  pipeline: RenderPipeline,
  logger: Logger,
  options: RenderWorkerOptions,
): Worker {
  const worker = new Worker(
    RENDER_QUEUE,
    async (job: Job, token?: string) => {
      const { tenant, videoId } = renderJobData.parse(job.data);
      const log = logger.child({
        queue: RENDER_QUEUE,
        jobId: job.id,
        tenant,
        videoId,
        attempt: job.attemptsMade,
      });
      const next = await pipeline.run(tenant, videoId, log);
      if ('done' in next) return;
      log.debug({ delayMs: next.delayMs, reason: next.reason }, 'next step scheduled');
      await job.moveToDelayed(Date.now() + next.delayMs, token);
      if (next.reason === WAITING_FOR_SLOT && (await pipeline.granted(tenant, videoId))) {
        await job.promote().catch(() => {});
      }
      throw new DelayedError();
    },
    {
      connection,
      prefix: bullPrefix(prefix),
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      stalledInterval: Math.max(1_000, Math.floor(options.lockMs / 2)),
      // Steps are idempotent, so a job may stall (its worker killed) many times without harm.
      maxStalledCount: 1_000,
      autorun: false,
      // Per-minute finished/failed counts in Redis, for BullMQ's Prometheus exporter (worker /metrics).
      metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
      telemetry: options.telemetry,
      settings: { backoffStrategy: (attemptsMade: number) => Math.min(60_000, 500 * 2 ** attemptsMade) },
    },
  );
  worker.on('failed', (job, err) => {
    const parsed = renderJobData.safeParse(job?.data);
    const ids = parsed.success ? { tenant: parsed.data.tenant, videoId: parsed.data.videoId } : {};
    logger.error({ jobId: job?.id, ...ids, attempt: job?.attemptsMade, err }, 'render step crashed');
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    if (parsed.success) {
      void pipeline
        .abandon(parsed.data.tenant, parsed.data.videoId, err.message)
        .catch((error: Error) =>
          logger.error({ jobId: job.id, ...ids, err: error }, 'could not fail an abandoned job'),
        );
    }
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'worker connection problem'));
  return worker;
}
