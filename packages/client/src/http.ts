import { setTimeout as sleep } from 'node:timers/promises';
import { errorFromResponse, ReelayError } from './errors.ts';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  maxRetries: number;
  fetch: typeof fetch;
}

/** Per-call options every method takes. */
export interface RequestOptions {
  /** Aborts the call (and a download's stream); the call rejects with a ReelayError, code `aborted`. */
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
}

export interface Call extends RequestOptions {
  method: 'GET' | 'POST' | 'DELETE';
  /** A path under the API root (`/v1/videos`), or an absolute URL (a presigned link). */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** False for a presigned URL: it carries its own signature, and S3 rejects a second auth method. */
  auth?: boolean;
  /**
   * Whether an answer that may have been lost after the server acted (network error, timeout, 500,
   * 502, 504) can be retried: true for GETs and for creates carrying an Idempotency-Key.
   */
  idempotent: boolean;
  /** Hand back 3xx answers instead of following them (the caller decides where the auth header goes). */
  manualRedirect?: boolean;
  /** Defaults to application/json. */
  accept?: string;
}

/** Retry-After beyond this is taken as "not soon": the error is thrown rather than slept on. */
const MAX_RETRY_AFTER_MS = 60_000;
const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/** setTimeout's largest delay. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const USER_AGENT = 'reelay-client/0.1.0';

export class Transport {
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /** Sends a call and parses a JSON answer. */
  async json<T>(call: Call): Promise<T> {
    return this.send(call, async (response) => (await response.json()) as T);
  }

  /**
   * Sends a call with retries, then hands the successful response to `read` while the timeout still
   * runs (so a JSON body that never ends is cut too). A `read` that hands out the live body calls
   * `keep(body)` and returns what it wraps: from then on the timeout is an idle timeout between chunks,
   * so a long download is never cut for taking long, only for stalling. Errors are ReelayErrors.
   */
  async send<T>(
    call: Call,
    read: (
      response: Response,
      keep: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>,
    ) => Promise<T>,
  ): Promise<T> {
    const { maxRetries } = this.#options;
    const timeoutMs = call.timeoutMs ?? this.#options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(call.signal);
      const timer = new AttemptTimer(timeoutMs, call.signal);
      let response: Response;
      try {
        // Called unbound: a browser-style fetch throws "Illegal invocation" when called as a method.
        const fetchFn = this.#options.fetch;
        response = await fetchFn(this.url(call), {
          method: call.method,
          headers: this.headers(call),
          ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
          redirect: call.manualRedirect ? 'manual' : 'follow',
          signal: timer.signal,
        });
      } catch (cause) {
        timer.clear();
        const error = timer.error(cause);
        if (error.code === 'aborted' || !call.idempotent || attempt >= maxRetries) throw error;
        await pause(backoffMs(attempt), call.signal);
        continue;
      }

      const redirect = call.manualRedirect && response.status >= 300 && response.status < 400;
      if (response.ok || redirect) {
        let kept = false;
        const keep = (body: ReadableStream<Uint8Array>) => {
          kept = true;
          return timer.idleTimed(body);
        };
        try {
          return await read(response, keep);
        } catch (cause) {
          if (cause instanceof ReelayError) throw cause;
          throw timer.error(cause, response.status);
        } finally {
          if (!kept) timer.clear();
        }
      }

      const error = await errorFromResponse(response).finally(() => timer.clear());
      const retryable =
        response.status === 429 ||
        response.status === 503 ||
        (call.idempotent && [408, 500, 502, 504].includes(response.status));
      if (!retryable || attempt >= maxRetries) throw error;
      const retryAfter = retryAfterMs(response.headers);
      if (retryAfter !== null && retryAfter > MAX_RETRY_AFTER_MS) throw error;
      await pause(retryAfter ?? backoffMs(attempt), call.signal);
    }
  }

  private url(call: Call): string {
    const url = /^https?:\/\//.test(call.path)
      ? new URL(call.path)
      : new URL(`${this.#options.baseUrl}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  private headers(call: Call): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...call.headers };
    if (call.auth !== false) headers.authorization = `Bearer ${this.#options.apiKey}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    headers.accept = call.accept ?? 'application/json';
    return headers;
  }
}

/**
 * One attempt's abort signal: the caller's signal, plus a timer that is a deadline until the answer is
 * read, or an idle timer between chunks once a body is handed out as a stream.
 */
class AttemptTimer {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  readonly #caller: AbortSignal | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  readonly #onCallerAbort = () => this.#controller.abort(this.#caller?.reason);

  constructor(timeoutMs: number, caller: AbortSignal | undefined) {
    this.#timeoutMs = timeoutMs;
    this.#caller = caller;
    caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
    this.#arm();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }

  /** Re-arms the timer on every chunk; the end of the stream, an error or a cancel clears it. */
  idleTimed(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    this.#arm();
    const fail = (cause: unknown) => {
      this.clear();
      return this.error(cause);
    };
    const source = body.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await source.read();
          if (done) {
            this.clear();
            controller.close();
            return;
          }
          this.#arm();
          controller.enqueue(value);
        } catch (cause) {
          controller.error(fail(cause));
        }
      },
      cancel: async (reason) => {
        this.clear();
        await source.cancel(reason);
      },
    });
  }

  /** What a failed fetch or read means for the caller: aborted, timed out, or a connection problem. */
  error(cause: unknown, status: number | null = null): ReelayError {
    if (cause instanceof ReelayError) return cause;
    if (this.#caller?.aborted) {
      return new ReelayError('The request was aborted.', { status, code: 'aborted' }, { cause });
    }
    if (this.#timedOut) {
      return new ReelayError(
        `Nothing received from Reelay for ${this.#timeoutMs} ms.`,
        { status, code: 'timeout' },
        { cause },
      );
    }
    // fetch reports "fetch failed" with the useful part (ECONNREFUSED, a reset) as its cause.
    const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
    const detail = inner instanceof Error ? inner.message : String(inner);
    return new ReelayError(
      status === null ? `Could not reach Reelay: ${detail}.` : `Could not read Reelay's answer: ${detail}.`,
      { status, code: status === null ? 'connection_error' : 'invalid_response' },
      { cause },
    );
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#timeoutMs === Number.POSITIVE_INFINITY) return;
    // Node fires a timer longer than 2^31-1 ms after 1 ms instead: clamp (that is 24.8 days).
    this.#timer = setTimeout(
      () => {
        this.#timedOut = true;
        this.#controller.abort();
      },
      Math.min(this.#timeoutMs, MAX_TIMER_MS),
    );
    // An abandoned stream must not keep the process alive for a whole timeout.
    this.#timer.unref();
  }
}

/** Exponential backoff with jitter: about 0.5, 1, 2, 4, 8 s, each 50-100% of that. */
function backoffMs(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

/** `retry-after-ms` (what OpenAI-style servers add), else `retry-after` in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers): number | null {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return null;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new ReelayError('The request was aborted.', { code: 'aborted' }, { cause: signal.reason });
  }
}

/** Sleeps, unless the caller aborts first. */
export async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (cause) {
    throw new ReelayError('The request was aborted.', { code: 'aborted' }, { cause });
  }
}
