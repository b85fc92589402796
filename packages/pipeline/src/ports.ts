import type { VideoRecord } from '@reelay/jobs';
import type { RateLimitHints } from '@reelay/providers';

/**
 * What the pipeline needs from the global limiter (packages/limits). Holders are video ids: a slot is
 * held while the render is at the provider, whichever worker process happens to run the job's steps.
 */
export interface LimitsPort {
  /** Reserves a concurrency slot on the account with the most headroom among `accounts`. */
  pick(accounts: readonly string[], holder: string): Promise<{ account: string } | { waitMs: number }>;
  /** Re-takes (idempotently) the slot of a job that already has an account; also extends its lease. */
  acquire(account: string, holder: string): Promise<boolean>;
  release(account: string, holder: string): Promise<void>;
  /** Renders currently holding a slot on the account. */
  inFlight(account: string): Promise<number>;
  /** One request token on the account's rate budget. */
  take(account: string): Promise<{ ok: true } | { ok: false; waitMs: number }>;
  /** A 429: shrink and back off. */
  penalize(account: string, hints: RateLimitHints): Promise<void>;
  /** Rate-limit headers of a normal answer (remaining quota), so the budget never outruns the provider's. */
  observe(account: string, hints: RateLimitHints): Promise<void>;
}

/**
 * What the pipeline needs from webhooks (packages/webhooks' WebhookNotifier): events are enqueued for
 * delivery elsewhere, never sent from a render step.
 */
export interface NotifyPort {
  /** `video.started` / `video.progress`, if the video subscribed to them; once per event. */
  event(
    record: VideoRecord,
    event: 'video.started' | 'video.progress',
    options?: { progress?: number },
  ): Promise<unknown>;
  /** The video is terminal on step `notify`: enqueue its final event, then set the step to `done`. */
  terminal(tenant: string, videoId: string): Promise<void>;
}

/**
 * What the pipeline reports for metrics (packages/metrics implements it; the worker wires it). Calls
 * are synchronous and must not throw.
 */
export interface PipelineObserver {
  /**
   * One run of a job, by the step its record was on (`queued` counts as `submit`): `scheduled` (it runs
   * again later), `done`, or `error` (the run threw; BullMQ retries it).
   */
  step(event: { step: string; outcome: 'scheduled' | 'done' | 'error'; durationMs: number }): void;
  /** One output streamed from the provider into S3 (download and upload are one stream). */
  stored(event: { variant: 'video' | 'thumbnail' | 'spritesheet'; bytes: number; durationMs: number }): void;
  /** A video this process moved to a terminal status (once per video); `costUsd` is its final cost. */
  finished(event: {
    tenant: string;
    model: string;
    status: 'completed' | 'failed' | 'canceled';
    costUsd: number;
  }): void;
}
