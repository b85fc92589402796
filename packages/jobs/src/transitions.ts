import type { VideoStatus } from '@reelay/contracts';

/**
 * THE state machine of a video job. Every status change in Reelay goes through `VideoStore.transition`
 * with one of these, and the Lua script applies it only from the listed statuses, atomically.
 * Terminal statuses (completed, failed, canceled) have no way out.
 */
export const TRANSITIONS = {
  /** A worker took the job and submitted it to a provider. */
  start: { from: ['queued', 'in_progress'], to: 'in_progress' },
  /** Progress or step changed while rendering. */
  progress: { from: ['in_progress'], to: 'in_progress' },
  /** The output is stored in S3. */
  complete: { from: ['queued', 'in_progress'], to: 'completed' },
  /** The provider failed it, content was rejected, or the deadline passed. */
  fail: { from: ['queued', 'in_progress'], to: 'failed' },
  /** The caller asked to cancel a job already at a provider: the worker cancels there, then `cancel`. */
  requestCancel: { from: ['in_progress'], to: 'in_progress' },
  /** Canceled by the caller: at once while queued, after the provider's cancel while in flight. */
  cancel: { from: ['queued', 'in_progress'], to: 'canceled' },
  /**
   * The api's "cancel at once": only while still queued. A worker may start the job between the api's
   * read and this write; `cancel` would then mark canceled a job already at a provider (still rendering
   * and billing) without the provider cancel, so the api falls back to `requestCancel` instead.
   */
  cancelQueued: { from: ['queued'], to: 'canceled' },
} as const satisfies Record<string, { from: readonly VideoStatus[]; to: VideoStatus }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** Statuses from which a video (and its stored outputs) may be deleted. */
export const DELETABLE: readonly VideoStatus[] = ['completed', 'failed', 'canceled'];
