/**
 * Errors the API answers with. The shape is OpenAI's (`{error: {message, type, param, code}}`) so that
 * Sora-shaped clients and the official SDKs surface them unchanged; `code` is Reelay's stable code,
 * the thing callers should branch on. 5xx answers never carry internal detail.
 */
export type ApiErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'invalid_multipart'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_state'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_use'
  | 'rate_limited'
  | 'unavailable'
  | 'internal_error';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: ApiErrorCode };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly param: string | null;
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: ApiErrorCode,
    message: string,
    options: { param?: string | null; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = status;
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

export function toApiErrorBody(error: ApiError): ApiErrorBody {
  return {
    error: {
      message: error.message,
      // A 4xx not listed (414, 406 from a library) is still the client's: never call it a server error.
      type: TYPES[error.status] ?? (error.status < 500 ? 'invalid_request_error' : 'server_error'),
      param: error.param,
      code: error.code,
    },
  };
}

/** Constructors for the common cases, so call sites read as the answer they give. */
export const apiErrors = {
  invalid: (param: string | null, message: string) =>
    new ApiError(400, 'invalid_request', message, { param }),
  unauthorized: (message = 'Missing or invalid API key. Send it as "Authorization: Bearer <key>".') =>
    new ApiError(401, 'unauthorized', message),
  forbidden: (message: string) => new ApiError(403, 'forbidden', message),
  notFound: (what: string, id: string, param: string | null = null) =>
    new ApiError(404, 'not_found', `No ${what} found with id '${id}'.`, { param }),
  invalidState: (message: string) => new ApiError(409, 'invalid_state', message),
  unavailable: (message = 'The service is temporarily unavailable; retry shortly.') =>
    new ApiError(503, 'unavailable', message, { headers: { 'retry-after': '1' } }),
};
