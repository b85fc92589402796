import { type ErrorKind, ProviderError, type RateLimitHints } from '../adapter.ts';
import { waitHint } from './hints.ts';

// Classification of every way a call can go wrong into the four kinds the worker acts on, with stable
// codes. The provider's own code and text stay in the message, for people; the worker reads the code.
// Gateways (new-api lineage) put errors in odd places (inside 200 bodies, Chinese texts, 503 for "no
// channel serves this model"), so the text is read as well as the status.

export type Op = 'create' | 'retrieve' | 'list' | 'content';

/** What an error answer says, whatever its shape. */
export interface ErrorInfo {
  code?: string;
  type?: string;
  message?: string;
  param?: string;
}

const MODERATION =
  /moderat|safety|content[ _-]?(policy|filter)|policy[ _-]?violation|nsfw|sensitive|inappropriate|prohibited|敏感|违规|审核/i;
// Strong signals only: "model temporarily unavailable" on a 503 is an outage, not a retirement.
const MODEL_GONE =
  /model_not_found|unknown model|model[^.]{0,80}(not found|does ?n[o']t exist|not exist|no longer available|retired|shut down)|no available channel|无可用渠道/i;
/** A retirement said without naming the model ("sora-2 is no longer available"); not for content. */
const RETIRED = /no longer (available|supported|served)|has been (retired|shut down)/i;
// Not "billing": OpenAI's ordinary RPM 429 text links to the billing page too.
const QUOTA = /insufficient[ _-]?(quota|balance|funds|credit)|exceeded your current quota|余额不足|额度不足/i;
const CONCURRENCY = /concurren|并发/i;
const RATE = /rate[ _-]?limit|too many requests|throttl|请求过于频繁/i;
const AUTH = /invalid[ _-]?api[ _-]?key|unauthori[sz]ed|authentication|invalid token|无效的令牌/i;
const NOT_FOUND = /not[ _-]?found|does ?n[o']t exist|not[ _-]?exist|不存在/i;
const EXPIRED = /expired|过期/i;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/**
 * Reads `{error: {message, code, type, param}}` (OpenAI), `{error: "..."}`, `{code, message}` (new-api
 * task errors), `{detail}` (FastAPI-style gateways), `fail_reason`, or a plain-text body.
 */
export function errorInfo(body: unknown): ErrorInfo {
  if (typeof body === 'string') return body.trim() === '' ? {} : { message: body.trim().slice(0, 500) };
  if (typeof body !== 'object' || body === null) return {};
  const record = body as Record<string, unknown>;
  const nested = record.error;
  const source = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : record;
  const info: ErrorInfo = {};
  const code = text(source.code);
  const type = text(source.type);
  const message =
    text(source.message) ??
    text(nested) ??
    text(record.message) ??
    text(record.detail) ??
    text(record.fail_reason) ??
    text(record.msg);
  const param = text(source.param);
  if (code !== undefined) info.code = code;
  if (type !== undefined) info.type = type;
  if (message !== undefined) info.message = message;
  if (param !== undefined) info.param = param;
  return info;
}

const hasId = (record: Record<string, unknown>) =>
  (typeof record.id === 'string' && record.id !== '') ||
  (typeof record.task_id === 'string' && record.task_id !== '');

/** Success markers new-api puts in `code` next to a payload: not errors. */
const SUCCESS_CODES = new Set(['success', 'ok', '0', '200']);

/**
 * True when a 2xx body is really an error: no job id and no status, but an `error`, a non-success
 * `code`, `success: false` or a lone `message` (what new-api gateways answer when the upstream failed).
 */
export function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const record = body as Record<string, unknown>;
  if (hasId(record) || record.status !== undefined || Array.isArray(record.data)) return false;
  if (record.error !== undefined && record.error !== null) return true;
  if (record.success === false) return true;
  const code = text(record.code);
  if (code !== undefined && !SUCCESS_CODES.has(code.toLowerCase())) return true;
  return text(record.message) !== undefined;
}

/** `{code: "success", data: {...video}}`: the payload itself, which some gateway routes wrap. */
export function unwrap(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const record = body as Record<string, unknown>;
  const data = record.data;
  if (hasId(record) || typeof data !== 'object' || data === null || Array.isArray(data)) return body;
  return hasId(data as Record<string, unknown>) ? data : body;
}

const LABEL: Record<Op, string> = {
  create: 'create video',
  retrieve: 'retrieve video',
  list: 'list videos',
  content: 'download content',
};

function describe(op: Op, status: number, info: ErrorInfo): string {
  const detail = info.message ?? 'no detail';
  const code = info.code ? ` (${info.code})` : '';
  return `openai-videos ${LABEL[op]}: HTTP ${status}${code}: ${detail}`;
}

/** An error answer (any non-2xx, or a 2xx whose body is an error) as a ProviderError. */
export function errorFromAnswer(op: Op, status: number, body: unknown, hints: RateLimitHints): ProviderError {
  const info = errorInfo(body);
  const said = `${info.code ?? ''} ${info.type ?? ''} ${info.message ?? ''}`;
  const [kind, code] = classify(op, status, info, said);
  const retryAfterMs = kind === 'rate_limited' ? waitHint(hints) : hints.retryAfterMs;
  const options: { status: number; retryAfterMs?: number } = { status };
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  return outcomeUnknownOnCreate(op, new ProviderError(kind, code, describe(op, status, info), options));
}

function classify(op: Op, status: number, info: ErrorInfo, said: string): [ErrorKind, string] {
  if (status === 429) {
    // OpenAI answers an empty balance with a 429 too: waiting will not refill it.
    if (QUOTA.test(said)) return ['terminal', 'insufficient_quota'];
    return ['rate_limited', CONCURRENCY.test(said) ? 'concurrency_limited' : 'rate_limited'];
  }
  const clientSide = status < 500;
  if (clientSide && MODERATION.test(said)) return ['content_rejected', 'moderation_blocked'];
  // Any status: new-api answers 503 when no channel serves the model, which waiting does not fix.
  const retired = clientSide && op !== 'content' && RETIRED.test(said);
  if (MODEL_GONE.test(said) || retired || (clientSide && status >= 400 && info.param === 'model')) {
    return ['terminal', 'model_unavailable'];
  }
  if (status === 402 || (clientSide && QUOTA.test(said))) return ['terminal', 'insufficient_quota'];
  if (status >= 500) {
    return [
      'retryable',
      status === 502 || status === 503 || status === 504 ? 'provider_unavailable' : 'provider_error',
    ];
  }
  switch (status) {
    case 408:
      return ['retryable', 'request_timeout'];
    case 409:
      return ['retryable', 'conflict'];
    case 401:
      return ['terminal', 'unauthorized'];
    case 403:
      return ['terminal', 'forbidden'];
    case 404:
      if (op === 'content' && EXPIRED.test(said)) return ['terminal', 'content_expired'];
      // A 404 on create or list means the base URL is wrong, not that a job is gone.
      return ['terminal', op === 'retrieve' || op === 'content' ? 'job_not_found' : 'endpoint_not_found'];
    case 416:
      return ['terminal', 'range_not_satisfiable'];
  }
  if (status >= 400) return ['terminal', 'invalid_request'];
  // An error inside a 2xx (or an unexpected 1xx/3xx): only its words say what it is.
  if (RATE.test(said))
    return ['rate_limited', CONCURRENCY.test(said) ? 'concurrency_limited' : 'rate_limited'];
  if (AUTH.test(said)) return ['terminal', 'unauthorized'];
  if ((op === 'retrieve' || op === 'content') && NOT_FOUND.test(said)) return ['terminal', 'job_not_found'];
  return ['retryable', 'provider_error'];
}

/** Failures before any byte left: nothing reached the provider, so even a create may be re-sent. */
const UNSENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The first `code` along an error's cause chain (fetch wraps socket errors in `TypeError: fetch failed`). */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') return code;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

/** A request that got no (complete) answer: our timeout, a reset, a refused connection. */
export function errorFromFailure(op: Op, error: unknown, timedOut: boolean): ProviderError {
  if (error instanceof ProviderError) return outcomeUnknownOnCreate(op, error);
  const code = causeCode(error);
  const why = error instanceof Error ? error.message : String(error);
  if (!timedOut && code !== undefined && UNSENT.has(code)) {
    return new ProviderError('retryable', 'provider_unreachable', `openai-videos ${LABEL[op]}: ${code}`, {
      cause: error,
    });
  }
  const failure = timedOut
    ? new ProviderError('retryable', 'timeout', `openai-videos ${LABEL[op]}: no answer in time`, {
        cause: error,
      })
    : new ProviderError('retryable', 'network_error', `openai-videos ${LABEL[op]}: ${code ?? why}`, {
        cause: error,
      });
  return outcomeUnknownOnCreate(op, failure);
}

/**
 * A create that failed in a way that may have happened after the provider made the job (a timeout, a
 * reset, a 5xx from a gateway whose upstream did create it) must not be re-posted blindly: a second
 * POST is a second bill. The worker reconciles through `list` first, so it gets a code of its own.
 * 429s and 4xx are refusals (nothing was made) and keep their code.
 */
function outcomeUnknownOnCreate(op: Op, error: ProviderError): ProviderError {
  if (op !== 'create' || error.kind !== 'retryable' || error.code === 'provider_unreachable') return error;
  if (error.code === 'submit_outcome_unknown') return error;
  const options: { status?: number; retryAfterMs?: number; cause: unknown } = { cause: error };
  if (error.status !== undefined) options.status = error.status;
  if (error.retryAfterMs !== undefined) options.retryAfterMs = error.retryAfterMs;
  return new ProviderError(
    'retryable',
    'submit_outcome_unknown',
    `${error.message} (the job may exist: reconcile with list before submitting again)`,
    options,
  );
}

/** Malformed but 2xx: the provider answered something we cannot read as what was asked. */
export function malformed(op: Op, status: number, what: string): ProviderError {
  return outcomeUnknownOnCreate(
    op,
    new ProviderError('retryable', 'malformed_response', `openai-videos ${LABEL[op]}: ${what}`, { status }),
  );
}

/** The classified error of a job the provider failed (not a failed request). */
export function jobFailure(
  code: string | undefined,
  message: string | undefined,
): { kind: ErrorKind; code: string; message: string } {
  const said = `${code ?? ''} ${message ?? ''}`;
  const kind: ErrorKind = MODERATION.test(said) ? 'content_rejected' : 'terminal';
  // The provider's own code when it has one (Sora's `moderation_blocked`); ours when it gave only text.
  const stable =
    code !== undefined && /^[a-z0-9][a-z0-9_.-]{0,63}$/i.test(code)
      ? code
      : kind === 'content_rejected'
        ? 'moderation_blocked'
        : MODEL_GONE.test(said)
          ? 'model_unavailable'
          : 'generation_failed';
  return { kind, code: stable, message: message ?? 'The provider failed the job without saying why.' };
}
