import type { VideoStatus } from '@reelay/contracts';

/**
 * THE state machine of a video job. Every status change in Reelay goes through `VideoStore.transition`
 * with one of these, and the Lua script applies it only from the listed statuses, atomically.
 * Terminal statuses (completed, failed, canceled) have no way out.
 */
export const TRANSITIONS = {
  /**
   * A worker is about to POST the job to a provider (the submit fence). Conditional like any change:
   * a job canceled since the worker read it must not reach the provider.
   */
  submitting: { from: ['queued', 'in_progress'], to: null },
  /** A worker took the job and submitted it to a provider. */
  start: { from: ['queued', 'in_progress'], to: 'in_progress' },
  /** Progress or step changed while rendering. */
  progress: { from: ['in_progress'], to: 'in_progress' },
  /** The output is stored in S3. */
  complete: { from: ['queued', 'in_progress'], to: 'completed' },
  /** The provider failed it, content was rejected, or the deadline passed. */
  fail: { from: ['queued', 'in_progress'], to: 'failed' },
  /**
   * The caller asked to cancel a job already at a provider, or being submitted to one: the worker
   * cancels there (after storing the handle, for a submit in flight), then `cancel`.
   */
  requestCancel: { from: ['queued', 'in_progress'], to: null },
  /** Canceled by the caller: at once while queued, after the provider's cancel while in flight. */
  cancel: { from: ['queued', 'in_progress'], to: 'canceled' },
  /**
   * The api's "cancel at once": only while still queued and not being submitted. A worker may start the
   * job between the api's read and this write; `cancel` would then mark canceled a job already at a
   * provider (still rendering and billing) without the provider cancel, so the api falls back to
   * `requestCancel` instead.
   */
  cancelQueued: { from: ['queued'], to: 'canceled', unlessSet: 'submitStartedAt' },
} as const satisfies Record<
  string,
  {
    from: readonly VideoStatus[];
    /** The new status; null keeps the current one. */
    to: VideoStatus | null;
    /**
     * Refused while this field is set. `submitStartedAt` is set (still `queued`) just before a worker
     * POSTs to the provider: "cancel at once" then would leave a provider job rendering and billing for
     * a canceled video, so the api asks for a cancel instead (`requestCancel`) and the worker does it
     * once it holds the handle.
     */
    unlessSet?: string;
  }
>;

export type TransitionName = keyof typeof TRANSITIONS;

/** Statuses from which a video (and its stored outputs) may be deleted. */
export const DELETABLE: readonly VideoStatus[] = ['completed', 'failed', 'canceled'];
