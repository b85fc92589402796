// What the queue gauges show, read from BullMQ's keys at scrape time: counts by state, how long the
// job at the head of each line has existed, and how late the earliest delayed job is. A handful of
// O(1)/O(log n) Redis reads per queue, whatever the backlog.

export const JOB_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'failed',
  'completed',
  'waiting-children',
] as const;

export type JobStateName = (typeof JOB_STATES)[number];

/**
 * The part of a BullMQ `Queue` read here (structural: the workspace may hold several copies of
 * bullmq's types, one per peer-dependency set).
 */
export interface WatchedQueue {
  readonly name: string;
  readonly keys: { readonly [key: string]: string };
  toKey(type: string): string;
  getJobCounts(...types: JobStateName[]): Promise<{ [state: string]: number }>;
  /** BullMQ's own exporter (`bullmq_job_count`, `bullmq_job_completed_total`, `bullmq_job_failed_total`). */
  exportPrometheusMetrics(): Promise<string>;
}

/** Any ioredis client (or cluster): raw commands only. */
export interface RedisCommands {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

export interface QueueReading {
  counts: Record<JobStateName, number>;
  /** Seconds since the oldest job at the head of the line was added; 0 when the line is empty. */
  oldestAgeSeconds: { waiting: number; prioritized: number };
  /** Seconds since the earliest delayed job became due; 0 when none is due yet. */
  overdueSeconds: number;
}

/** BullMQ's prioritized score: priority * 2^32 + an insertion counter. */
const PRIORITY_BAND = 0x1_0000_0000;
/** BullMQ's delayed score: due time (ms) * 4096 + a tie-breaker. */
const DELAY_SCALE = 0x1000;
/** Priority bands looked at (Reelay uses 3: high, normal, low). */
const MAX_BANDS = 16;

export async function readQueue(
  redis: RedisCommands,
  queue: WatchedQueue,
  now = Date.now(),
): Promise<QueueReading> {
  const keys = queue.keys;
  const [counts, waitingHead, prioritizedHeads, delayedHead] = await Promise.all([
    queue.getJobCounts(...JOB_STATES),
    // BullMQ pushes on the left and takes from the right: the right end is next to run.
    redis.call('LINDEX', keys.wait!, -1) as Promise<string | null>,
    headsOfBands(redis, keys.prioritized!),
    redis.call('ZRANGE', keys.delayed!, 0, 0, 'WITHSCORES').then(flatPairs),
  ]);
  const reading: QueueReading = {
    counts: Object.fromEntries(
      JOB_STATES.map((state) => [state, counts[state] ?? 0]),
    ) as QueueReading['counts'],
    oldestAgeSeconds: { waiting: 0, prioritized: 0 },
    overdueSeconds: 0,
  };
  const age = async (ids: string[]) => {
    const stamps = await Promise.all(
      ids.map((id) => redis.call('HGET', queue.toKey(id), 'timestamp') as Promise<string | null>),
    );
    const oldest = Math.min(...stamps.map((s) => (s === null ? Number.POSITIVE_INFINITY : Number(s))));
    return Number.isFinite(oldest) ? Math.max(0, now - oldest) / 1000 : 0;
  };
  if (waitingHead !== null) reading.oldestAgeSeconds.waiting = await age([waitingHead]);
  if (prioritizedHeads.length > 0) reading.oldestAgeSeconds.prioritized = await age(prioritizedHeads);
  const score = delayedHead[1];
  if (score !== undefined) {
    const due = Math.floor(Number(score) / DELAY_SCALE);
    reading.overdueSeconds = Math.max(0, now - due) / 1000;
  }
  return reading;
}

/** The first job of each priority band (within a band, jobs run in the order they came in). */
async function headsOfBands(redis: RedisCommands, key: string): Promise<string[]> {
  const heads: string[] = [];
  let min = 0;
  for (let band = 0; band < MAX_BANDS; band++) {
    const [id, score] = flatPairs(
      await redis.call('ZRANGEBYSCORE', key, min, '+inf', 'WITHSCORES', 'LIMIT', 0, 1),
    );
    if (id === undefined || score === undefined) break;
    heads.push(id);
    min = (Math.floor(Number(score) / PRIORITY_BAND) + 1) * PRIORITY_BAND;
  }
  return heads;
}

/** A WITHSCORES reply as `[member, score, ...]`, whether the protocol sent it flat (RESP2) or in pairs (RESP3). */
function flatPairs(reply: unknown): (string | undefined)[] {
  return Array.isArray(reply) ? (reply.flat() as string[]) : [];
}
