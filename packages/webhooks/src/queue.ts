import { WEBHOOK_EVENTS, type WebhookEvent } from '@reelay/contracts';
import { bullPrefix } from '@reelay/jobs';
import { Job, Queue, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** Deliveries have a queue of their own: a backlog of webhooks never delays a render step. */
export const WEBHOOK_QUEUE = '{webhooks}';

export const webhookJobData = z.object({
  tenant: z.string(),
  videoId: z.string(),
  event: z.enum(WEBHOOK_EVENTS),
  /** The `webhook-id`: the same on every attempt and every resend of this event. */
  messageId: z.string(),
  /** When the event happened (the payload's timestamp). */
  occurredAt: z.number(),
  /** Set on resends and recoveries, which are logged as such. */
  resend: z.boolean().optional(),
});
export type WebhookJobData = z.infer<typeof webhookJobData>;

export function createWebhookQueue(
  connection: Redis,
  prefix: string,
  options: Partial<QueueOptions> = {},
): Queue {
  return new Queue(WEBHOOK_QUEUE, { connection, prefix: bullPrefix(prefix), ...options });
}

/**
 * The message id of one event of one video. Derived, not random: whichever process enqueues the event
 * (the worker, the api's cancel, a worker re-running a crashed step) names the same message, and the
 * BullMQ job id made from it lets only the first one in. Progress events carry their percentage.
 */
export function messageId(videoId: string, event: WebhookEvent, progress?: number): string {
  const base = `msg_${videoId.replace(/^video_/, '')}_${event.replace('video.', '')}`;
  return event === 'video.progress' ? `${base}_${progress ?? 0}` : base;
}

/**
 * Attempts are counted by the worker against its retry schedule, not by BullMQ: producers need not
 * know the schedule, and the last attempt is logged as final by the sender itself.
 */
export const WEBHOOK_JOB_OPTIONS = {
  attempts: 1_000,
  backoff: { type: 'webhook' },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/**
 * Wakes a delivery job parked in the delayed set (BullMQ promote). False when it is not parked any
 * more: promoted already, running, or finished.
 */
export function wakeDelivery(queue: Queue): (jobId: string) => Promise<boolean> {
  return async (jobId) => {
    const job = await Job.fromId(queue, jobId);
    if (!job) return false;
    return job.promote().then(
      () => true,
      () => false,
    );
  };
}
