import type { ProviderResponse, RateLimitHints } from '../adapter.ts';
import { errorFromAnswer, errorFromFailure, isErrorBody, malformed, type Op, unwrap } from './errors.ts';
import { parseHints } from './hints.ts';

// One JSON request to the account: bearer key, a timeout covering the whole exchange (headers and
// body), hints read from every answer, errors classified. Exactly one attempt per call: retries belong
// to the worker, which spends rate-limit tokens on them and knows the job's deadline.

export interface Wire {
  /** The account's base URL without a trailing slash, e.g. `https://api.cometapi.com/v1`. */
  baseUrl: string;
  apiKey: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  /** Told of every request's outcome (metrics). */
  onResponse: ((response: ProviderResponse) => void) | undefined;
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  /** The parsed body, unwrapped from a `{code: "success", data}` envelope; never an error body. */
  body: Record<string, unknown>;
  hints: RateLimitHints;
}

export function authHeaders(wire: Wire): Record<string, string> {
  return { authorization: `Bearer ${wire.apiKey}` };
}

export async function requestJson(
  wire: Wire,
  op: Op,
  method: 'GET' | 'POST',
  path: string,
  body: FormData | undefined,
  signal: AbortSignal | undefined,
): Promise<JsonAnswer> {
  // Already canceled by the caller: nothing is sent, so that is the caller's error, not a provider one.
  signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(wire.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  const started = performance.now();
  let status: number | null = null;
  try {
    response = await wire.fetch(`${wire.baseUrl}${path}`, {
      method,
      headers: { ...authHeaders(wire), accept: 'application/json' },
      body,
      signal: combined,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    reportResponse(wire.onResponse, { op, status, durationMs: performance.now() - started });
    // A caller's abort of a create is still an unknown outcome (the POST may have been received);
    // of anything else, it is the caller's own doing and goes back as is.
    if (signal?.aborted && op !== 'create') throw signal.reason;
    throw errorFromFailure(op, error, timeout.aborted);
  }
  reportResponse(wire.onResponse, { op, status: response.status, durationMs: performance.now() - started });
  const hints = parseHints(response.headers);
  const parsed = parseJson(text);
  if (response.status < 200 || response.status > 299 || isErrorBody(unwrap(parsed))) {
    throw errorFromAnswer(op, response.status, parsed, hints);
  }
  const payload = unwrap(parsed);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw malformed(op, response.status, `expected a JSON object, got ${describe(text)}`);
  }
  return {
    status: response.status,
    headers: response.headers,
    body: payload as Record<string, unknown>,
    hints,
  };
}

/** An observer's failure never becomes the request's. */
export function reportResponse(
  observer: ((response: ProviderResponse) => void) | undefined,
  response: ProviderResponse,
): void {
  try {
    observer?.(response);
  } catch {
    // Metrics are best effort.
  }
}

/** JSON when it is JSON; the raw text otherwise (an HTML error page from a proxy, say). */
function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const describe = (text: string) => (text.trim() === '' ? 'an empty body' : `'${text.slice(0, 80)}'`);
