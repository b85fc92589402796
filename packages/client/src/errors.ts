import { errorResponse } from '@reelay/contracts';

/** Codes the client itself gives when there is no HTTP answer to read one from. */
export type ClientErrorCode = 'timeout' | 'aborted' | 'connection_error' | 'invalid_response';

/**
 * Everything the client throws for a failed call. `status` is null when no answer arrived (timeout,
 * abort, network); otherwise `code`, `type` and `param` come from the API's OpenAI-shaped error body
 * (`{"error": {"message", "type", "param", "code"}}`), e.g. 404 `not_found`, 400 `invalid_request` with
 * `param: 'seconds'`, 409 `invalid_state`, 422 `idempotency_key_reused`.
 */
export class ReelayError extends Error {
  override name = 'ReelayError';
  readonly status: number | null;
  readonly code: string | null;
  readonly param: string | null;
  readonly type: string | null;

  constructor(
    message: string,
    fields: { status?: number | null; code?: string | null; param?: string | null; type?: string | null },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = fields.status ?? null;
    this.code = fields.code ?? null;
    this.param = fields.param ?? null;
    this.type = fields.type ?? null;
  }
}

/**
 * Reads an error answer. A body that is not Reelay's shape (a proxy's HTML page, a truncated answer)
 * still gives an error with the status and the start of the text, so nothing is lost when debugging.
 */
export async function errorFromResponse(response: Response): Promise<ReelayError> {
  const text = await response.text().catch(() => '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorResponse.safeParse(json);
  if (parsed.success) {
    const { message, type, param, code } = parsed.data.error;
    return new ReelayError(message, { status: response.status, code, param, type });
  }
  const snippet = text.slice(0, 200).trim();
  return new ReelayError(`HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`, {
    status: response.status,
  });
}
