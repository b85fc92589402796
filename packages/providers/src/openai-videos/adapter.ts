import type { AccountConfig } from '../accounts.ts';
import {
  type ListedJob,
  type PollResult,
  type ProviderAdapter,
  ProviderError,
  type ProviderHandle,
  type ProviderResponse,
  type RateLimitHints,
  type RenderRequest,
  type ResultLocator,
  type ResultStream,
  type SubmitResult,
} from '../adapter.ts';
import { openContent } from './content.ts';
import { malformed } from './errors.ts';
import { createForm } from './form.ts';
import { authHeaders, requestJson, type Wire } from './http.ts';
import { readVideo } from './video.ts';

// The adapter for the OpenAI Videos wire (`/v1/videos`) and the gateways that speak it: CometAPI,
// new-api resellers, the simulator. Stateless between calls, one HTTP request per call, no retries:
// the worker owns retrying, under the account's rate limits and the job's deadline.

export interface OpenAIVideosOptions {
  /** Timeout of each JSON call (create, retrieve, list), headers and body together. @defaultValue 30000 */
  timeoutMs?: number;
  /**
   * `open`: longest wait for the response headers, and for each next chunk of the body. No total limit:
   * a large video on a slow link may take long, as long as it keeps moving. @defaultValue 30000
   */
  idleTimeoutMs?: number;
  /**
   * The fetch to use. Wrap the global one to route through an undici dispatcher (proxy, connection
   * limits): `(url, init) => fetch(url, { ...init, dispatcher })`. @defaultValue globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /** Told of every request's outcome and duration (metrics); must not throw. */
  onResponse?: (response: ProviderResponse) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** The wire's page size cap. */
const MAX_LIST_LIMIT = 100;

export class OpenAIVideosAdapter implements ProviderAdapter {
  readonly kind = 'openai-videos';
  /**
   * No cancel on this wire (`DELETE` only removes finished jobs). thumbnail and spritesheet are
   * `/content` variants; a gateway that lacks them answers an error the worker can skip.
   */
  readonly supports = { cancel: false, list: true, thumbnail: true, spritesheet: true };
  readonly #wire: Wire;
  readonly #idleTimeoutMs: number;

  constructor(account: Pick<AccountConfig, 'baseUrl' | 'apiKey'>, options: OpenAIVideosOptions = {}) {
    this.#wire = {
      baseUrl: account.baseUrl.replace(/\/+$/, ''),
      apiKey: account.apiKey,
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      onResponse: options.onResponse,
    };
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * `POST /videos`, once: never re-sent, since a second create is a second bill. A failure that may
   * have come after the provider made the job (timeout, reset, 5xx, an unreadable answer) throws
   * `retryable` / `submit_outcome_unknown`: reconcile with `list` before submitting again.
   */
  async submit(request: RenderRequest, signal?: AbortSignal): Promise<SubmitResult> {
    const answer = await requestJson(this.#wire, 'create', 'POST', '/videos', createForm(request), signal);
    const video = readVideo(answer.body, Date.now(), this.#wire.baseUrl);
    if (video.id === undefined) {
      throw malformed('create', answer.status, 'the answer carries no job id (id or task_id)');
    }
    const result: SubmitResult = { handle: { id: video.id }, hints: answer.hints };
    if (video.hasStatus) result.initial = { ...video.poll, hints: answer.hints };
    return result;
  }

  /** `GET /videos/{id}`, normalized; `nextPollMs` from `openai-poll-after-ms`. */
  async poll(handle: ProviderHandle, signal?: AbortSignal): Promise<PollResult> {
    const answer = await requestJson(
      this.#wire,
      'retrieve',
      'GET',
      `/videos/${encodeURIComponent(handle.id)}`,
      undefined,
      signal,
    );
    const video = readVideo(answer.body, Date.now(), this.#wire.baseUrl);
    if (video.id === undefined && !video.hasStatus) {
      throw malformed('retrieve', answer.status, 'the answer is not a video object');
    }
    const result: PollResult = { ...video.poll, hints: answer.hints };
    const pollAfter = answer.headers.get('openai-poll-after-ms');
    if (pollAfter !== null && /^\s*\d+\s*$/.test(pollAfter)) result.nextPollMs = Number(pollAfter);
    return result;
  }

  /**
   * `GET /videos?order=desc`: newest first, with what the provider echoes (model, prompt, size,
   * seconds, createdAt) to find a job whose create answer was lost. Next page: `after` = last job id.
   */
  async list(
    options: { limit: number; after?: string },
    signal?: AbortSignal,
  ): Promise<{ jobs: ListedJob[]; hasMore: boolean; hints: RateLimitHints }> {
    const wanted = Number.isFinite(options.limit) ? Math.floor(options.limit) : MAX_LIST_LIMIT;
    const limit = Math.min(MAX_LIST_LIMIT, Math.max(1, wanted));
    const query = new URLSearchParams({ limit: String(limit), order: 'desc' });
    if (options.after !== undefined) query.set('after', options.after);
    const answer = await requestJson(this.#wire, 'list', 'GET', `/videos?${query}`, undefined, signal);
    const data = answer.body.data;
    if (!Array.isArray(data)) throw malformed('list', answer.status, 'the answer has no data array');
    const now = Date.now();
    const jobs: ListedJob[] = [];
    for (const item of data) {
      if (typeof item !== 'object' || item === null) continue;
      const { id, poll, echo } = readVideo(item as Record<string, unknown>, now, this.#wire.baseUrl);
      // An entry without an id cannot be polled or matched: skipping it is all one can do.
      if (id === undefined) continue;
      jobs.push({ ...poll, ...echo, handle: { id } });
    }
    return { jobs, hasMore: answer.body.has_more === true, hints: answer.hints };
  }

  /**
   * Streams a result: `/videos/{id}/content?variant=` with the account's key, or a URL locator (with
   * the key only when the URL is on the account's own origin). `offset` resumes with `Range`.
   */
  async open(
    handle: ProviderHandle,
    locator: ResultLocator,
    options: { offset?: number; signal?: AbortSignal } = {},
  ): Promise<ResultStream> {
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new ProviderError(
        'terminal',
        'invalid_request',
        `open: offset must be a whole number >= 0, got ${offset}`,
      );
    }
    let url: string;
    let headers: Record<string, string>;
    if (locator.kind === 'adapter') {
      const query = new URLSearchParams({ variant: locator.variant });
      url = `${this.#wire.baseUrl}/videos/${encodeURIComponent(handle.id)}/content?${query}`;
      headers = authHeaders(this.#wire);
    } else {
      url = locator.url;
      headers = { ...locator.headers, ...(this.#sameOrigin(url) ? authHeaders(this.#wire) : {}) };
    }
    return openContent({
      url,
      headers,
      offset,
      fetch: this.#wire.fetch,
      idleTimeoutMs: this.#idleTimeoutMs,
      signal: options.signal,
      onResponse: this.#wire.onResponse,
    });
  }

  /**
   * The wire has no cancel: resolves at once without a request (`supports.cancel` is false). Not an
   * error: the contract makes cancel best effort, and the caller keeps polling to a terminal state.
   */
  async cancel(_handle: ProviderHandle, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
  }

  #sameOrigin(url: string): boolean {
    try {
      return new URL(url).origin === new URL(this.#wire.baseUrl).origin;
    } catch {
      return false;
    }
  }
}

export function createOpenAIVideosAdapter(
  account: Pick<AccountConfig, 'baseUrl' | 'apiKey'>,
  options?: OpenAIVideosOptions,
): OpenAIVideosAdapter {
  return new OpenAIVideosAdapter(account, options);
}
