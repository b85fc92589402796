import type { Job } from './store.ts';
import type { Phase, Status } from './timing.ts';

// Wire shapes. `openai` is the Videos API as the official SDK types it. `newapi` is what gateways of
// the new-api lineage (CometAPI and resellers) answer on the same paths: `task_` ids with a `task_id`
// copy, upper-case statuses, progress as a "NN%" string, the failure text also in `fail_reason`.
// The seed's curl client stops on progress "100%", so newapi shows "100%" on SUCCESS only: a failed
// job keeps the percentage it reached.

export const FLAVORS = ['openai', 'newapi'] as const;
export type Flavor = (typeof FLAVORS)[number];

const unix = (ms: number) => Math.floor(ms / 1000);

/** The video object for `job` in `phase` (observed at `now`); `ttlS`: seconds it stays downloadable. */
export function videoObject(
  flavor: Flavor,
  job: Job,
  phase: Phase,
  now: number,
  ttlS: number,
): Record<string, unknown> {
  const completedAt =
    phase.status === 'completed' && phase.finishedAt !== null ? unix(phase.finishedAt) : null;
  const error = phase.status === 'failed' && job.plan.failure ? { ...job.plan.failure } : null;
  const common = {
    created_at: unix(job.createdAt),
    completed_at: completedAt,
    expires_at: completedAt === null ? null : completedAt + ttlS,
    model: job.model,
    prompt: job.prompt,
    remixed_from_video_id: job.remixedFrom,
    seconds: job.seconds,
    size: job.size,
    error,
  };
  if (flavor === 'openai') {
    return { id: job.id, object: 'video', status: phase.status, progress: phase.progress, ...common };
  }
  return {
    id: job.id,
    task_id: job.id,
    object: 'video',
    status: newapiStatus(job, phase, now),
    progress: `${phase.progress}%`,
    ...common,
    fail_reason: error?.message ?? null,
  };
}

const NEWAPI_STATUS: Record<Status, string> = {
  queued: 'QUEUED',
  in_progress: 'IN_PROGRESS',
  completed: 'SUCCESS',
  failed: 'FAILURE',
};

/** A fresh task reads SUBMITTED (new-api's first state) for the first third of its queue wait. */
function newapiStatus(job: Job, phase: Phase, now: number): string {
  if (phase.status === 'queued' && now < job.createdAt + job.plan.realQueueMs / 3) return 'SUBMITTED';
  return NEWAPI_STATUS[phase.status];
}

export function listObject(data: Array<Record<string, unknown>>, hasMore: boolean) {
  return {
    object: 'list',
    data,
    first_id: (data[0]?.id as string | undefined) ?? null,
    last_id: (data.at(-1)?.id as string | undefined) ?? null,
    has_more: hasMore,
  };
}

export const deletedObject = (id: string) => ({ id, object: 'video.deleted', deleted: true });

/** An error inside a 200, as new-api gateways send when the upstream answered oddly. */
export function errorInside200(flavor: Flavor) {
  const message = 'simulated upstream error returned with HTTP 200';
  if (flavor === 'newapi') return { code: 'upstream_error', message, data: null };
  return { error: { message, type: 'server_error', param: null, code: 'upstream_error' } };
}
