// OpenAI's error taxonomy as the simulator answers it: every non-2xx body (and a few odd 200s) is
// `{"error": {"message", "type", "param", "code"}}`, because that is what clients parse.

export interface ErrorOptions {
  /** OpenAI's `type`: `invalid_request_error`, `requests` (429), `server_error`. */
  type?: string;
  code?: string | null;
  /** The request field at fault, so a client (or test) can tell which one was rejected. */
  param?: string | null;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class SimError extends Error {
  override readonly name = 'SimError';
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  body(): ErrorBody {
    return errorBody(this.message, this.type, this.param, this.code);
  }
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export const errorBody = (message: string, type: string, param: string | null, code: string | null) => ({
  error: { message, type, param, code },
});

export const invalid = (param: string | null, message: string, code = 'invalid_value') =>
  new SimError(400, message, { param, code });

export const videoNotFound = (id: string) =>
  new SimError(404, `Video with id '${id}' not found.`, { param: 'video_id', code: 'video_not_found' });

export const conflict = (message: string, code: string) => new SimError(409, message, { code });
