import type { CreateVideoBody } from '@reelay/contracts';
import { ApiError } from '@reelay/errors';
import type { Queue } from 'bullmq';
import { newVideoId } from './ids.ts';
import { enqueueRender } from './queue.ts';
import { type InputReference, UNSET, type VideoRecord } from './record.ts';
import { keyHash } from './request-hash.ts';
import type { VideoStore } from './store.ts';

export interface NewVideo {
  tenant: string;
  body: Omit<CreateVideoBody, 'input_reference'>;
  inputReference: InputReference | null;
  pricePerSecond: number;
  idempotencyKey: string | null;
  /** Set when the api already chose the id (e.g. to store an upload under it). */
  id?: string;
  /** Wall-clock budget of the whole job. @defaultValue 2 h */
  deadlineMs?: number;
  now?: number;
}

export function newRecord(input: NewVideo): VideoRecord {
  const now = input.now ?? Date.now();
  const { body } = input;
  return {
    // Every field nothing has set yet, from the one list the compact stored form also uses.
    ...UNSET,
    id: input.id ?? newVideoId(now),
    tenant: input.tenant,
    status: 'queued',
    step: 'queued',
    model: body.model,
    size: body.size,
    seconds: body.seconds,
    prompt: body.prompt,
    priority: body.priority,
    metadata: body.metadata ?? {},
    providerHint: body.provider ?? null,
    inputReference: input.inputReference,
    outputs: [],
    costUsd: Math.round(input.pricePerSecond * Number(body.seconds) * 10_000) / 10_000,
    costEstimated: true,
    webhookUrl: body.webhook_url ?? null,
    webhookEvents: body.webhook_url
      ? (body.webhook_events ?? ['video.completed', 'video.failed', 'video.canceled'])
      : [],
    webhookState: body.webhook_url ? 'pending' : 'none',
    idempotencyKey: input.idempotencyKey,
    createdAt: now,
    updatedAt: now,
    deadlineAt: now + (input.deadlineMs ?? 2 * 3600 * 1000),
  };
}

/**
 * Stores a new video and hands it to the workers, exactly once per idempotency key:
 * - first request with a key: store, enqueue (on enqueue failure the record is removed again so a retry
 *   starts clean, and the error surfaces as 503);
 * - same key, same request: that video as it is now, and the enqueue is repeated while it is still
 *   queued (BullMQ ignores a duplicate job id, so this only heals a lost enqueue); 409 once it has been
 *   deleted;
 * - same key, different request: 422.
 */
export async function submitVideo(
  deps: { store: VideoStore; queue: Queue },
  record: VideoRecord,
  /** The request's fingerprint; only computed when the record carries an idempotency key. */
  fingerprint: () => string,
): Promise<{ record: VideoRecord; replayed: boolean }> {
  const requestHash = record.idempotencyKey ? fingerprint() : '';
  const idempotency = record.idempotencyKey
    ? { keyHash: keyHash(record.idempotencyKey), requestHash }
    : undefined;
  const result = await deps.store.create(record, idempotency);
  if (result.created) {
    try {
      await enqueueRender(deps.queue, record);
    } catch (error) {
      await deps.store.discard(record, idempotency?.keyHash).catch(() => {});
      throw new ApiError(503, 'unavailable', 'The job could not be queued; retry the request.', {
        cause: error,
        headers: { 'retry-after': '1' },
      });
    }
    return { record, replayed: false };
  }
  if (result.requestHash !== requestHash) {
    throw new ApiError(
      422,
      'idempotency_key_reused',
      `Idempotency-Key '${record.idempotencyKey}' was already used with a different request (video ${result.videoId}). Use a new key for a new request.`,
      { param: 'Idempotency-Key' },
    );
  }
  const current = await deps.store.get(record.tenant, result.videoId);
  if (!current) {
    throw new ApiError(
      409,
      'invalid_state',
      `Idempotency-Key '${record.idempotencyKey}' created video ${result.videoId}, which has since been deleted. Use a new key for a new request.`,
      { param: 'Idempotency-Key' },
    );
  }
  if (current.status === 'queued') await enqueueRender(deps.queue, current);
  return { record: current, replayed: true };
}
