import type { VideoObject } from '@reelay/contracts';
import type { VideoRecord } from './record.ts';

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** A stored record as the OpenAI-shaped video object, with Reelay's fields under `reelay`. */
export function toVideoObject(record: VideoRecord, queuePosition: number | null = null): VideoObject {
  return {
    id: record.id,
    object: 'video',
    created_at: Math.floor(record.createdAt / 1000),
    status: record.status,
    model: record.model,
    progress: record.progress,
    seconds: record.seconds,
    size: record.size,
    prompt: record.prompt,
    completed_at: seconds(record.completedAt),
    expires_at: seconds(record.expiresAt),
    remixed_from_video_id: record.remixedFrom,
    error: record.errorCode
      ? { code: record.errorCode, message: record.errorMessage ?? record.errorCode }
      : null,
    reelay: {
      tenant: record.tenant,
      provider: record.provider,
      provider_job_id: record.providerJobId,
      model: record.model,
      step: record.step,
      attempts: record.attempts,
      queue_position: queuePosition,
      priority: record.priority,
      metadata: record.metadata,
      outputs: record.outputs,
      cost: { usd: record.costUsd, estimated: record.costEstimated },
      webhook: record.webhookUrl
        ? {
            url: record.webhookUrl,
            events: record.webhookEvents,
            state: record.webhookState,
            attempts: record.webhookAttempts,
          }
        : null,
      cancel_requested: record.cancelRequested,
    },
  };
}
