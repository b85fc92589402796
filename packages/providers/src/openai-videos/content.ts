import { Readable } from 'node:stream';
import { ProviderError, type ProviderResponse, type ResultStream } from '../adapter.ts';
import { errorFromAnswer, errorFromFailure, isErrorBody } from './errors.ts';
import { parseHints } from './hints.ts';
import { reportResponse } from './http.ts';

// Opening a result as a stream, for the worker to pipe straight into S3: never buffered here. Videos
// run to gigabytes, so there is no total timeout, only one on the headers and one on silence between
// chunks. A body that ends or breaks before Content-Length says errors the stream with a retryable
// `download_truncated`, so the caller can resume from the bytes it has (the `offset` option).

export interface ContentRequest {
  url: string;
  headers: Record<string, string>;
  /** Bytes already held: asked for with `Range: bytes=N-`. */
  offset: number;
  fetch: typeof globalThis.fetch;
  /** Longest wait for the headers, and between two chunks of the body. */
  idleTimeoutMs: number;
  signal: AbortSignal | undefined;
  /** Told when the headers came, or the request failed without an answer (metrics). */
  onResponse?: ((response: ProviderResponse) => void) | undefined;
}

const CONTENT_RANGE = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i;

export async function openContent(request: ContentRequest): Promise<ResultStream> {
  const { offset, signal, idleTimeoutMs } = request;
  signal?.throwIfAborted();
  // One controller per download: our timeouts and the consumer's early exit abort it; the caller's
  // signal joins in.
  const controller = new AbortController();
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  let timedOut = false;
  const headersTimer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no response headers within ${idleTimeoutMs} ms`));
  }, idleTimeoutMs);

  let response: Response;
  const started = performance.now();
  try {
    // identity: fetch would inflate a compressed body, and then neither Content-Length nor a Range
    // offset would count the bytes the caller gets.
    const headers: Record<string, string> = {
      accept: '*/*',
      'accept-encoding': 'identity',
      ...request.headers,
    };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    // Redirects are followed (content may live behind a presigned URL); fetch drops the Authorization
    // header when a redirect leaves the origin, so the key never reaches a CDN.
    response = await request.fetch(request.url, { headers, signal: combined, redirect: 'follow' });
  } catch (error) {
    reportResponse(request.onResponse, {
      op: 'content',
      status: null,
      durationMs: performance.now() - started,
    });
    if (signal?.aborted) throw signal.reason;
    throw errorFromFailure('content', error, timedOut);
  } finally {
    clearTimeout(headersTimer);
  }
  reportResponse(request.onResponse, {
    op: 'content',
    status: response.status,
    durationMs: performance.now() - started,
  });

  const hints = parseHints(response.headers);
  const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
  // A JSON answer is never a video: some gateways send their errors as a 200 with a JSON body.
  if (!response.ok || /^application\/(problem\+)?json/i.test(contentType)) {
    const body = await readError(response, controller, idleTimeoutMs);
    // JSON that does not even look like an error still is not the file: classified as an unreadable one.
    const said = response.ok && !isErrorBody(body) ? { message: 'JSON instead of media' } : body;
    throw errorFromAnswer('content', response.status, said, hints);
  }

  // Compressed anyway: Content-Length counts the compressed bytes, not the ones the stream yields.
  const encoding = response.headers.get('content-encoding')?.trim().toLowerCase();
  const compressed = encoding !== undefined && encoding !== '' && encoding !== 'identity';
  const declared = compressed ? undefined : parseLength(response.headers.get('content-length'));
  let skip = 0;
  if (response.status === 206) {
    const range = CONTENT_RANGE.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== offset) {
      controller.abort();
      throw new ProviderError(
        'retryable',
        'range_mismatch',
        `openai-videos download content: asked for bytes from ${offset}, got '${response.headers.get('content-range')}'`,
        { status: 206 },
      );
    }
  } else if (offset > 0) {
    // The server ignored Range and sends everything: drop what the caller already has, as it streams.
    skip = offset;
  }
  if (declared !== undefined && declared < skip) {
    controller.abort();
    throw new ProviderError(
      'terminal',
      'range_not_satisfiable',
      `openai-videos download content: offset ${offset} is past the end (${declared} bytes)`,
      { status: response.status },
    );
  }
  const contentLength = declared === undefined ? undefined : declared - skip;
  // No body at all (a 204, say) reads as an empty one: the length check still applies.
  const source = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  const body = toReadable(source, { skip, expected: contentLength, idleTimeoutMs, controller, signal });
  const result: ResultStream = { body, contentType, hints };
  if (contentLength !== undefined) result.contentLength = contentLength;
  return result;
}

interface StreamOptions {
  skip: number;
  expected: number | undefined;
  idleTimeoutMs: number;
  controller: AbortController;
  signal: AbortSignal | undefined;
}

/**
 * The body as a Node stream, pulled only as fast as the consumer reads (so nothing piles up here), with
 * an idle timeout, `skip` bytes dropped, and the byte count checked at the end. Destroying it aborts the
 * request at once, even while a read is pending: a consumer that gives up (S3 failed, say) must not
 * keep the connection open until the provider sends again.
 */
function toReadable(source: ReadableStream<Uint8Array>, options: StreamOptions): Readable {
  const { expected, idleTimeoutMs, controller, signal } = options;
  const reader = source.getReader();
  let skip = options.skip;
  let received = 0;
  let pulling = false;

  const readable = new Readable({
    read() {
      if (pulling) return;
      pulling = true;
      void pull().finally(() => {
        pulling = false;
      });
    },
    destroy(error, callback) {
      controller.abort();
      callback(error);
    },
  });

  /** Reads and pushes until the consumer's buffer is full, the body ends, or it fails. */
  async function pull(): Promise<void> {
    for (;;) {
      let stalled = false;
      // Only while waiting on the network: a full buffer (a slow consumer) is not a stall.
      const timer = setTimeout(() => {
        stalled = true;
        controller.abort(new Error(`no data for ${idleTimeoutMs} ms`));
      }, idleTimeoutMs);
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (readable.destroyed) return;
        readable.destroy(
          signal?.aborted
            ? signal.reason
            : interrupted(stalled ? 'download_stalled' : 'download_truncated', received, expected, error),
        );
        return;
      } finally {
        clearTimeout(timer);
      }
      if (readable.destroyed) return;
      if (chunk.done) {
        if (expected !== undefined && received !== expected) {
          readable.destroy(interrupted('download_truncated', received, expected, undefined));
        } else {
          readable.push(null);
        }
        return;
      }
      let bytes = Buffer.from(chunk.value.buffer, chunk.value.byteOffset, chunk.value.byteLength);
      if (skip > 0) {
        const dropped = Math.min(skip, bytes.length);
        skip -= dropped;
        bytes = bytes.subarray(dropped);
        if (bytes.length === 0) continue;
      }
      received += bytes.length;
      if (!readable.push(bytes)) return;
    }
  }

  return readable;
}

function interrupted(
  code: 'download_truncated' | 'download_stalled',
  received: number,
  expected: number | undefined,
  cause: unknown,
): ProviderError {
  const of = expected === undefined ? '' : ` of ${expected}`;
  const what = code === 'download_stalled' ? 'stalled' : 'ended early';
  return new ProviderError(
    'retryable',
    code,
    `openai-videos download content: ${what} after ${received}${of} bytes (resume with offset)`,
    { cause },
  );
}

function parseLength(value: string | null): number | undefined {
  return value !== null && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}

/** An error body is small; read it under the same idle limit, and never fail on reading it. */
async function readError(
  response: Response,
  controller: AbortController,
  timeoutMs: number,
): Promise<unknown> {
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text.slice(0, 500);
    }
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
