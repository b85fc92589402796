import type { ListedJob, PollResult, ProviderState, ResultLocator } from '../adapter.ts';
import { jobFailure } from './errors.ts';

// The video object, as OpenAI and the new-api gateways spell it, read into the normalized PollResult.
// Tolerant by design: statuses in any case and either vocabulary, progress as 42 or "42%", ids as
// `id` or `task_id`, timestamps in seconds (or ms), the result URL in any of the fields gateways use,
// unknown extra fields ignored.

type Json = Record<string, unknown>;

/** The wire's statuses (OpenAI's and new-api's TaskStatus), lower-cased, by what they mean. */
const STATUSES: Record<string, ProviderState | 'completed'> = {
  queued: 'queued',
  not_start: 'queued',
  submitted: 'queued',
  pending: 'queued',
  queuing: 'queued',
  queueing: 'queued',
  in_queue: 'queued',
  in_progress: 'running',
  processing: 'running',
  running: 'running',
  completed: 'completed',
  success: 'completed',
  succeeded: 'completed',
  failed: 'failed',
  failure: 'failed',
  error: 'failed',
  canceled: 'canceled',
  cancelled: 'canceled',
  expired: 'expired',
};

/**
 * `UNKNOWN` (new-api's "the upstream said something I could not map"), and any status we do not know,
 * read as `running`: the job exists and nothing says it ended, so the worker keeps polling, and its
 * wall-clock deadline bounds the wait. Calling it failed could throw away a render already paid for;
 * `queued` would claim a wait we know nothing about.
 */
const UNRECOGNIZED: ProviderState = 'running';

/** new-api marks a canceled task as FAILURE with this reason. */
const CANCELED_REASON = /^\s*cancel+ed\s*$/i;

/** The URL fields gateways put a finished video in, in the order they are trusted. */
const URL_FIELDS = ['url', 'result_url', 'video_url'] as const;

export interface VideoView {
  /** `id`, else `task_id`; undefined when the body has neither. */
  id: string | undefined;
  /** False when the body carries no status at all (then `poll.state` is only a guess). */
  hasStatus: boolean;
  poll: PollResult;
  /** What the provider echoes of the request, to match a job whose create answer was lost. */
  echo: Echo;
}

export type Echo = Pick<ListedJob, 'createdAt' | 'model' | 'prompt' | 'size' | 'seconds'>;

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** `42`, `42.5`, `"42%"`, `"42"` -> 0..100; anything else undefined. */
export function parseProgress(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
    if (match) n = Number(match[1]);
  }
  if (n === undefined || !Number.isFinite(n)) return undefined;
  return Math.min(100, Math.max(0, n));
}

/** Unix seconds (the wire), or ms from gateways that send those; 0 and null mean "not set". */
export function parseTimestamp(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return undefined;
  // 1e12 ms is 2001; 1e12 s is the year 33658: no real second-based timestamp gets there.
  return n >= 1e12 ? Math.round(n) : Math.round(n * 1000);
}

export function mapStatus(status: unknown): ProviderState | 'completed' {
  if (typeof status !== 'string') return UNRECOGNIZED;
  const key = status
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return STATUSES[key] ?? UNRECOGNIZED;
}

/** An absolute http(s) URL (relative ones resolved against the account's base URL), else undefined. */
function httpUrl(value: unknown, baseUrl: string): string | undefined {
  const raw = str(value);
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw, baseUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a finished video is, when the body says: `metadata.url`, `url`, `result_url`, `video_url`, or
 * new-api's `fail_reason`, which holds the result URL on SUCCESS (a quirk of its task table).
 */
export function resultUrl(body: Json, baseUrl: string): string | undefined {
  const metadata = body.metadata;
  const candidates: unknown[] = [
    typeof metadata === 'object' && metadata !== null ? (metadata as Json).url : undefined,
    ...URL_FIELDS.map((field) => body[field]),
    body.fail_reason,
  ];
  for (const candidate of candidates) {
    const url = httpUrl(candidate, baseUrl);
    if (url !== undefined) return url;
  }
  return undefined;
}

function failureOf(body: Json): { code?: string; message?: string } {
  const error = body.error;
  const found: { code?: string; message?: string } = {};
  if (typeof error === 'object' && error !== null) {
    const code = str((error as Json).code);
    const message = str((error as Json).message);
    if (code !== undefined) found.code = code;
    if (message !== undefined) found.message = message;
  } else if (str(error) !== undefined) {
    found.message = str(error);
  }
  found.message ??= str(body.fail_reason);
  return found;
}

/** Reads one video object (from create, retrieve or list) as of `now` (epoch ms). */
export function readVideo(body: Json, now: number, baseUrl: string): VideoView {
  const id = str(body.id) ?? str(body.task_id);
  const status = mapStatus(body.status);
  const progress = parseProgress(body.progress);
  const expiresAt = parseTimestamp(body.expires_at);
  const poll: PollResult = { state: status === 'completed' ? 'succeeded' : status };
  if (progress !== undefined) poll.progress = progress;

  if (status === 'completed') {
    if (expiresAt !== undefined && expiresAt <= now) {
      // Finished, but the provider no longer serves it: nothing left to download.
      poll.state = 'expired';
      poll.error = {
        kind: 'terminal',
        code: 'content_expired',
        message: `The provider's copy of the video expired at ${new Date(expiresAt).toISOString()}.`,
      };
    } else {
      // Only a completed status means downloadable (progress 100 alone does not), and then /content
      // serves every completed job on this wire, so a video locator always exists here.
      poll.progress = 100;
      poll.results = results(body, baseUrl, expiresAt);
    }
  } else if (status === 'failed') {
    const { code, message } = failureOf(body);
    if (message !== undefined && CANCELED_REASON.test(message)) poll.state = 'canceled';
    else poll.error = jobFailure(code, message);
  } else if (status === 'expired') {
    poll.error = {
      kind: 'terminal',
      code: 'content_expired',
      message: 'The provider reports the job expired.',
    };
  }

  const echo: Echo = {};
  const createdAt = parseTimestamp(body.created_at);
  if (createdAt !== undefined) echo.createdAt = createdAt;
  const model = str(body.model);
  if (model !== undefined) echo.model = model;
  const prompt = str(body.prompt);
  if (prompt !== undefined) echo.prompt = prompt;
  const size = str(body.size);
  if (size !== undefined) echo.size = size;
  const seconds = typeof body.seconds === 'number' ? String(body.seconds) : str(body.seconds);
  if (seconds !== undefined) echo.seconds = seconds;
  return { id, hasStatus: typeof body.status === 'string', poll, echo };
}

function results(body: Json, baseUrl: string, expiresAt: number | undefined): PollResult['results'] {
  const adapter = (variant: 'video' | 'thumbnail' | 'spritesheet'): ResultLocator =>
    expiresAt === undefined ? { kind: 'adapter', variant } : { kind: 'adapter', variant, expiresAt };
  const url = resultUrl(body, baseUrl);
  const video: ResultLocator =
    url === undefined
      ? adapter('video')
      : expiresAt === undefined
        ? { kind: 'url', url }
        : { kind: 'url', url, expiresAt };
  return { video, thumbnail: adapter('thumbnail'), spritesheet: adapter('spritesheet') };
}
