import { randomUUID } from 'node:crypto';
import type { createVideoBody, Variant, VideoObject, videoDeleted, videoList } from '@reelay/contracts';
import { TERMINAL_STATUSES } from '@reelay/contracts';
import type { z } from 'zod';
import { ReelayError } from './errors.ts';
import { type SavedFile, saveToFile } from './file.ts';
import { MAX_TIMER_MS, pause, type RequestOptions, type Transport } from './http.ts';

/**
 * The create body as a caller writes it: the schema's input type, so defaulted fields (`model`,
 * `seconds`, `size`, `priority`) may be left out. `input_reference` is a link or a file id here: this
 * client sends JSON, and an uploaded image needs the multipart form.
 */
export type CreateVideoParams = Omit<z.input<typeof createVideoBody>, 'input_reference'> & {
  input_reference?: { image_url: string } | { file_id: string };
};

export type VideoList = z.infer<typeof videoList>;
export type VideoDeleted = z.infer<typeof videoDeleted>;

export interface CreateOptions extends RequestOptions {
  /**
   * Makes the create safe to repeat: the same key and body return the original video. One is generated
   * (a random UUID) when none is given, so the client's own retries never create a second job; pass
   * your own, derived from your record, to make your retries across restarts safe too.
   */
  idempotencyKey?: string;
}

export interface ListParams {
  /** A video id: the page starts after it (the previous page's `last_id`). */
  after?: string;
  /** Page size, 1..100. @defaultValue 20 */
  limit?: number;
  /** By creation time. @defaultValue 'desc' (newest first) */
  order?: 'asc' | 'desc';
}

export interface WaitOptions {
  /** Called with the video on the first look and whenever its status or progress changes. */
  onProgress?: (video: VideoObject) => void;
  /** Between two looks. @defaultValue 2000 */
  intervalMs?: number;
  /** Overall limit; past it `wait` throws a ReelayError with code `timeout`. @defaultValue Infinity */
  timeoutMs?: number;
  /** Stops waiting; `wait` throws a ReelayError with code `aborted`. */
  signal?: AbortSignal;
}

export interface DownloadOptions extends RequestOptions {
  /** @defaultValue 'video' */
  variant?: Variant;
}

/** A download in progress: the body streams, nothing is buffered. */
export interface VideoContent {
  body: ReadableStream<Uint8Array>;
  contentType: string | null;
  /** From Content-Length; null when the server did not say. */
  contentLength: number | null;
}

/** `/v1/videos`. */
export class Videos {
  readonly #http: Transport;

  constructor(http: Transport) {
    this.#http = http;
  }

  /** `POST /v1/videos` (JSON). Retried on network errors, 429 and 5xx under one Idempotency-Key. */
  async create(body: CreateVideoParams, options: CreateOptions = {}): Promise<VideoObject> {
    const { idempotencyKey = randomUUID(), ...rest } = options;
    return this.#http.json<VideoObject>({
      ...rest,
      method: 'POST',
      path: '/videos',
      body,
      headers: { 'idempotency-key': idempotencyKey },
      idempotent: true,
    });
  }

  /** `GET /v1/videos/{id}`. */
  async get(id: string, options: RequestOptions = {}): Promise<VideoObject> {
    return this.#http.json<VideoObject>({ ...options, method: 'GET', path: videoPath(id), idempotent: true });
  }

  /** `GET /v1/videos`: one page. */
  async list(params: ListParams = {}, options: RequestOptions = {}): Promise<VideoList> {
    const { after, limit, order } = params;
    return this.#http.json<VideoList>({
      ...options,
      method: 'GET',
      path: '/videos',
      query: { after, limit, order },
      idempotent: true,
    });
  }

  /** Every video, page after page (`limit` is the page size); stop early with `break`. */
  async *iterate(params: ListParams = {}, options: RequestOptions = {}): AsyncGenerator<VideoObject, void> {
    let after = params.after;
    for (;;) {
      const page = await this.list({ ...params, after }, options);
      yield* page.data;
      if (!page.has_more || page.last_id === null) return;
      after = page.last_id;
    }
  }

  /**
   * `POST /v1/videos/{id}/cancel`. A queued video answers `canceled` at once; one in flight answers with
   * `reelay.cancel_requested` and becomes `canceled` shortly after (`wait` for it). An already finished
   * video is a 409 `invalid_state`.
   */
  async cancel(id: string, options: RequestOptions = {}): Promise<VideoObject> {
    // Not `idempotent`: a repeated cancel whose first answer was lost would read 409 "already canceled".
    return this.#http.json<VideoObject>({
      ...options,
      method: 'POST',
      path: `${videoPath(id)}/cancel`,
      idempotent: false,
    });
  }

  /** `DELETE /v1/videos/{id}`: finished videos only (else 409 `invalid_state`); removes the stored files. */
  async delete(id: string, options: RequestOptions = {}): Promise<VideoDeleted> {
    // Not `idempotent`: a repeated delete whose first answer was lost would read 404.
    return this.#http.json<VideoDeleted>({
      ...options,
      method: 'DELETE',
      path: videoPath(id),
      idempotent: false,
    });
  }

  /**
   * Polls until the video is completed, failed or canceled and resolves with it: a failed or canceled
   * video is an answer, not an error (read `status` and `error`). Throws a ReelayError on timeout, abort,
   * or when a look fails after its retries (e.g. 404: deleted meanwhile).
   */
  async wait(id: string, options: WaitOptions = {}): Promise<VideoObject> {
    const { onProgress, intervalMs = 2_000, timeoutMs, signal: callerSignal } = options;
    const deadline =
      timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY
        ? undefined
        : AbortSignal.timeout(Math.min(timeoutMs, MAX_TIMER_MS));
    const signals = [callerSignal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    let last: VideoObject | undefined;
    try {
      for (;;) {
        const video = await this.get(id, signal ? { signal } : {});
        if (!last || last.status !== video.status || last.progress !== video.progress) onProgress?.(video);
        last = video;
        if (TERMINAL_STATUSES.has(video.status)) return video;
        await pause(intervalMs, signal);
      }
    } catch (error) {
      if (deadline?.aborted && !callerSignal?.aborted && error instanceof ReelayError) {
        const where = last ? ` (last seen ${last.status}, ${last.progress}%)` : '';
        throw new ReelayError(
          `Video ${id} did not finish within ${timeoutMs} ms${where}.`,
          { code: 'timeout' },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * `GET /v1/videos/{id}/content?variant=`. Follows a redirect to a presigned URL without sending the
   * API key there. The body is a stream: a 1 GB file is never held in memory. The timeout applies to the
   * wait for an answer, then between chunks. Before completion the server answers 409 `invalid_state`.
   */
  async download(id: string, options: DownloadOptions = {}): Promise<VideoContent> {
    const { variant = 'video', ...rest } = options;
    const first = await this.#http.send(
      {
        ...rest,
        method: 'GET',
        path: `${videoPath(id)}/content`,
        query: { variant },
        idempotent: true,
        manualRedirect: true,
        accept: '*/*',
      },
      async (response, keep): Promise<{ content: VideoContent } | { location: string }> => {
        if (response.status < 300 || response.status >= 400) return { content: toContent(response, keep) };
        await response.body?.cancel();
        const location = response.headers.get('location');
        if (!location) {
          throw new ReelayError(`HTTP ${response.status} without a Location header.`, {
            status: response.status,
            code: 'invalid_response',
          });
        }
        return { location: new URL(location, response.url).toString() };
      },
    );
    if ('content' in first) return first.content;
    return this.#http.send(
      { ...rest, method: 'GET', path: first.location, auth: false, idempotent: true, accept: '*/*' },
      async (response, keep) => toContent(response, keep),
    );
  }

  /** `download`, streamed to a file; resolves with its size and sha256 once it is whole on disk. */
  async downloadToFile(id: string, path: string, options: DownloadOptions = {}): Promise<SavedFile> {
    return saveToFile(await this.download(id, options), path);
  }
}

function videoPath(id: string): string {
  return `/videos/${encodeURIComponent(id)}`;
}

function toContent(
  response: Response,
  keep: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>,
): VideoContent {
  const length = response.headers.get('content-length');
  return {
    body: keep(response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })),
    contentType: response.headers.get('content-type'),
    contentLength: length === null || !/^\d+$/.test(length) ? null : Number(length),
  };
}
