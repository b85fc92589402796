import type { VideoObject, VideoStatus } from '@reelay/contracts';

/** The gateway (new-api lineage) spelling of statuses; it has no "canceled", and its clients stop on FAILURE. */
const GATEWAY_STATUS: Record<VideoStatus, string> = {
  queued: 'QUEUED',
  in_progress: 'IN_PROGRESS',
  completed: 'SUCCESS',
  failed: 'FAILURE',
  canceled: 'FAILURE',
};

/**
 * The same object as gateways answer it: `"NN%"` progress, upper-case statuses, `task_id`, `fail_reason`.
 * Field order matters to shell clients such as the seed's sample, which grep the first `"status"` and
 * `"progress"` and take the *last* `"id"`: status and progress come first, `id` comes last.
 */
export function toGatewayObject(video: VideoObject): Record<string, unknown> {
  const { id, object, status, progress, error, ...rest } = video;
  return {
    object,
    status: GATEWAY_STATUS[status],
    progress: `${status === 'completed' ? 100 : Math.min(progress, 99)}%`,
    ...rest,
    error,
    fail_reason: status === 'canceled' ? 'canceled' : (error?.message ?? null),
    task_id: id,
    id,
  };
}
