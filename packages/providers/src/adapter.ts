import type { Readable } from 'node:stream';

/**
 * The contract every provider adapter implements (OpenAI Videos wire and its gateways today; fal,
 * Replicate and Runway next). Adapters speak one provider's wire and translate it into these shapes;
 * the worker never sees a provider's own JSON. Adapters hold no state between calls: everything the
 * worker needs to resume after a crash is in the `ProviderHandle`, which it persists.
 */

/** What to render, already validated against the catalog. */
export interface RenderRequest {
  model: string;
  prompt: string;
  /** Generated seconds, as the catalog lists them ("4", "8", ...). */
  seconds: string;
  /** "WIDTHxHEIGHT" */
  size: string;
  /** The first frame, if any: a URL the provider can fetch, or bytes to upload. */
  inputReference?:
    | { url: string }
    | { fileId: string }
    | { data: Buffer; contentType: string; filename: string };
  /** Reelay's video id: adapters pass it where the provider keeps client metadata, for reconciliation. */
  clientRef: string;
}

/** Everything needed to find a provider job again. Persist it before doing anything else. */
export interface ProviderHandle {
  /** The provider's job id (`video_...`, `task_...`, a request id). */
  id: string;
  /** Provider-specific extras (status/result URLs for queue-style APIs), JSON-serializable. */
  extra?: Record<string, string>;
}

/** One normalized state set for all providers. THROTTLED/IN_QUEUE/submitted read as `queued`. */
export type ProviderState = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'expired';

/** Where a finished result can be read from. */
export type ResultLocator =
  | { kind: 'url'; url: string; headers?: Record<string, string>; expiresAt?: number }
  /**
   * Read through the adapter (e.g. `/videos/{id}/content` with the account's key). `expiresAt` (epoch
   * ms, like the URL form's) is when the provider stops serving it, when it says.
   */
  | { kind: 'adapter'; variant: 'video' | 'thumbnail' | 'spritesheet'; expiresAt?: number };

export type ErrorKind = 'rate_limited' | 'retryable' | 'content_rejected' | 'terminal';

/** A provider problem, classified so the worker knows whether to wait, retry, or fail the job. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ErrorKind;
  /** Stable code for the caller, e.g. `moderation_blocked`, `provider_unavailable`, `model_not_found`. */
  readonly code: string;
  /** HTTP status when there was one. */
  readonly status: number | undefined;
  /** When the provider said how long to wait (retry-after-ms, Retry-After, x-ratelimit-reset-*). */
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Rate-limit information read from any answer (not only 429s), for the account's limiter. */
export interface RateLimitHints {
  limit?: number;
  remaining?: number;
  resetMs?: number;
  retryAfterMs?: number;
}

export interface PollResult {
  state: ProviderState;
  /** 0..100 when the provider reports it. */
  progress?: number;
  queuePosition?: number;
  /** When succeeded: where the outputs are. A `succeeded` without a video is reported as `failed`. */
  results?: Partial<Record<'video' | 'thumbnail' | 'spritesheet', ResultLocator>>;
  /** When failed: classified. */
  error?: { kind: ErrorKind; code: string; message: string };
  /** The provider's own pacing hint (e.g. `openai-poll-after-ms`). */
  nextPollMs?: number;
  /** Actual charge in USD when the provider reports one. */
  costUsd?: number;
  hints?: RateLimitHints;
}

export interface SubmitResult {
  handle: ProviderHandle;
  /** The first status, when the create answer carries one. */
  initial?: PollResult;
  hints?: RateLimitHints;
}

/** A job as found by listing the provider's recent jobs (reconciliation, bulk polling). */
export interface ListedJob extends PollResult {
  handle: ProviderHandle;
  createdAt?: number;
  /** What the provider echoes back, to match a job whose create answer was lost. */
  model?: string;
  prompt?: string;
  size?: string;
  seconds?: string;
}

export interface ResultStream {
  body: Readable;
  /**
   * From Content-Length, when sent: the bytes this stream yields (from `offset` when one was asked), so
   * the stored size must match it.
   */
  contentLength?: number;
  contentType: string;
  /** Rate-limit information from the answer's headers. */
  hints?: RateLimitHints;
}

/**
 * One HTTP exchange with the provider, reported to an adapter's `onResponse` option (metrics): what was
 * asked, how it ended, how long it took. 429s are reported like any other status.
 */
export interface ProviderResponse {
  op: 'create' | 'retrieve' | 'list' | 'content';
  /** The HTTP status, or null when no answer came (timeout, reset, DNS, refused). */
  status: number | null;
  /** Until the whole answer was read (JSON calls), or until the headers came (content streams). */
  durationMs: number;
}

export interface ProviderAdapter {
  readonly kind: string;
  /** What this adapter can do beyond the basics. */
  readonly supports: { cancel: boolean; list: boolean; thumbnail: boolean; spritesheet: boolean };
  submit(request: RenderRequest, signal?: AbortSignal): Promise<SubmitResult>;
  poll(handle: ProviderHandle, signal?: AbortSignal): Promise<PollResult>;
  /** Recent jobs, newest first (at most `limit`), for bulk polling and reconciliation. */
  list(
    options: { limit: number; after?: string },
    signal?: AbortSignal,
  ): Promise<{ jobs: ListedJob[]; hasMore: boolean; hints?: RateLimitHints }>;
  /** Opens a result as a stream; the caller pipes it straight into S3. */
  open(
    handle: ProviderHandle,
    locator: ResultLocator,
    options?: { offset?: number; signal?: AbortSignal },
  ): Promise<ResultStream>;
  /** Best effort; keep polling to a terminal state afterwards. */
  cancel(handle: ProviderHandle, signal?: AbortSignal): Promise<void>;
}
