import type { Priority } from '@reelay/contracts';
import { type JobsOptions, Queue, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { VideoRecord } from './record.ts';

/**
 * The job catalog shared by producer (api) and consumer (worker): queue name, job name, data schema and
 * options. The queue name carries a hash tag so all of its keys live in one Redis Cluster slot.
 */
export const RENDER_QUEUE = '{videos}';
export const RENDER_JOB = 'render';

export const renderJobData = z.object({ tenant: z.string(), videoId: z.string() });
export type RenderJobData = z.infer<typeof renderJobData>;

/** BullMQ: lower runs first. */
const PRIORITY: Record<Priority, number> = { high: 1, normal: 2, low: 3 };

export function bullPrefix(prefix: string): string {
  return `${prefix}:q`;
}

export function createRenderQueue(
  connection: Redis,
  prefix: string,
  options: Partial<QueueOptions> = {},
): Queue {
  return new Queue(RENDER_QUEUE, { connection, prefix: bullPrefix(prefix), ...options });
}

/**
 * Hands a stored video to the workers. The BullMQ job id is the video id, so adding twice (a retried
 * request, a replayed idempotency key) never makes a second job.
 */
export async function enqueueRender(queue: Queue, record: VideoRecord): Promise<void> {
  const data: RenderJobData = { tenant: record.tenant, videoId: record.id };
  await queue.add(RENDER_JOB, data, renderJobOptions(record));
}

/** The options of a video's render job. */
export function renderJobOptions(record: VideoRecord): JobsOptions {
  return {
    jobId: record.id,
    priority: PRIORITY[record.priority],
    // Only for crashes of the step code itself (Redis away, a bug): provider trouble is handled inside
    // the steps. The worker's backoff strategy caps the wait; the job's own deadline ends it anyway.
    attempts: 50,
    backoff: { type: 'custom' },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * How many jobs a worker will take before this one (0 = next), or null when it is not waiting.
 * Jobs in BullMQ's plain wait list run before prioritized ones.
 */
export async function queuePosition(redis: Redis, queue: Queue, videoId: string): Promise<number | null> {
  const [rank, waiting] = (await redis
    .multi()
    .zrank(queue.keys.prioritized!, videoId)
    .llen(queue.keys.wait!)
    .exec()
    .then((replies) => (replies ?? []).map(([, value]) => value))) as [number | null, number];
  return rank === null ? null : waiting + rank;
}
