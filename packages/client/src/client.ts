import { Transport } from './http.ts';
import { Videos } from './videos.ts';

export interface ReelayClientOptions {
  /** The server's root, e.g. `http://127.0.0.1:8080` (a trailing `/v1` is accepted too). */
  baseUrl: string;
  /** `rl_...`, sent as a bearer token. */
  apiKey: string;
  /**
   * Per request attempt: the wait for an answer, or for a download the longest pause between two
   * chunks (a large file may take as long as it needs). `Infinity` turns it off. @defaultValue 30000
   */
  timeoutMs?: number;
  /**
   * Retries after network errors, 429 and 5xx (only 429/503 for cancel and delete, which are not safe
   * to repeat), with exponential backoff or the server's Retry-After. @defaultValue 3
   */
  maxRetries?: number;
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/** A typed client for Reelay's `/v1/videos` API. */
export class ReelayClient {
  readonly videos: Videos;

  constructor(options: ReelayClientOptions) {
    if (!options.apiKey) throw new TypeError('ReelayClient needs an apiKey.');
    const root = new URL(options.baseUrl).toString().replace(/\/+$/, '');
    const transport = new Transport({
      baseUrl: root.endsWith('/v1') ? root : `${root}/v1`,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 3,
      fetch: options.fetch ?? globalThis.fetch,
    });
    this.videos = new Videos(transport);
  }
}
