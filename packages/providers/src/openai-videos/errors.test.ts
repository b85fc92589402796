import { describe, expect, it } from 'vitest';
import { errorFromAnswer, errorFromFailure, isErrorBody, jobFailure, type Op, unwrap } from './errors.ts';

const openaiError = (message: string, code: string | null = null, param: string | null = null) => ({
  error: { message, type: 'invalid_request_error', param, code },
});

describe('errorFromAnswer', () => {
  it.each<[Op, number, unknown, string, string]>([
    ['retrieve', 400, openaiError('bad', 'invalid_value', 'size'), 'terminal', 'invalid_request'],
    [
      'retrieve',
      401,
      openaiError('Incorrect API key provided', 'invalid_api_key'),
      'terminal',
      'unauthorized',
    ],
    ['retrieve', 403, openaiError('Not allowed'), 'terminal', 'forbidden'],
    [
      'retrieve',
      404,
      openaiError("Video with id 'x' not found.", 'video_not_found'),
      'terminal',
      'job_not_found',
    ],
    ['create', 404, 'Not Found', 'terminal', 'endpoint_not_found'],
    ['content', 404, openaiError('The content has expired.', 'video_expired'), 'terminal', 'content_expired'],
    ['retrieve', 408, null, 'retryable', 'request_timeout'],
    ['retrieve', 409, openaiError('busy'), 'retryable', 'conflict'],
    ['retrieve', 422, openaiError('nope'), 'terminal', 'invalid_request'],
    ['retrieve', 402, { message: 'pay up' }, 'terminal', 'insufficient_quota'],
    ['retrieve', 500, openaiError('oops'), 'retryable', 'provider_error'],
    ['retrieve', 502, '<html>Bad Gateway</html>', 'retryable', 'provider_unavailable'],
    [
      'retrieve',
      503,
      openaiError('overloaded, model temporarily unavailable'),
      'retryable',
      'provider_unavailable',
    ],
    [
      'create',
      400,
      openaiError('Your request was blocked by our moderation system.', 'moderation_blocked'),
      'content_rejected',
      'moderation_blocked',
    ],
    [
      'create',
      400,
      { code: 'sensitive_words_detected', message: '提示词包含敏感内容' },
      'content_rejected',
      'moderation_blocked',
    ],
    [
      'create',
      404,
      openaiError('The model `sora-2` does not exist or you do not have access to it.', 'model_not_found'),
      'terminal',
      'model_unavailable',
    ],
    ['create', 400, openaiError('sora-2 is no longer available'), 'terminal', 'model_unavailable'],
    [
      'create',
      400,
      openaiError("Invalid value: 'sora-9'.", 'invalid_value', 'model'),
      'terminal',
      'model_unavailable',
    ],
    // new-api: 503 when no channel serves the model. Waiting does not fix that.
    [
      'create',
      503,
      openaiError('No available channel for model sora-2 under group default'),
      'terminal',
      'model_unavailable',
    ],
    [
      'retrieve',
      429,
      openaiError('Rate limit reached', 'rate_limit_exceeded'),
      'rate_limited',
      'rate_limited',
    ],
    [
      'create',
      429,
      openaiError('Too many concurrent video jobs', 'concurrency_limit_exceeded'),
      'rate_limited',
      'concurrency_limited',
    ],
    [
      'create',
      429,
      openaiError(
        'You exceeded your current quota, please check your plan and billing details.',
        'insufficient_quota',
      ),
      'terminal',
      'insufficient_quota',
    ],
    // OpenAI's RPM message links to the billing page: still a rate limit.
    [
      'create',
      429,
      openaiError(
        'Rate limit reached for requests per min (RPM). Add a payment method at https://platform.openai.com/account/billing.',
        'rate_limit_exceeded',
      ),
      'rate_limited',
      'rate_limited',
    ],
    // Errors inside 200 bodies, new-api style: only the words tell.
    [
      'retrieve',
      200,
      { code: 'upstream_error', message: 'upstream failed', data: null },
      'retryable',
      'provider_error',
    ],
    ['retrieve', 200, { code: 'task_not_exist', message: 'task_not_exist' }, 'terminal', 'job_not_found'],
    ['retrieve', 200, { code: 'rate_limit', message: 'Too many requests' }, 'rate_limited', 'rate_limited'],
    ['retrieve', 200, { success: false, message: '无效的令牌' }, 'terminal', 'unauthorized'],
    [
      'create',
      200,
      { code: 'prompt_blocked', message: 'content policy violation' },
      'content_rejected',
      'moderation_blocked',
    ],
  ])('%s HTTP %d %j -> %s %s', (op, status, body, kind, code) => {
    const error = errorFromAnswer(op, status, body, {});
    expect({ kind: error.kind, code: error.code, status: error.status }).toEqual({ kind, code, status });
  });

  it('turns an ambiguous create failure into submit_outcome_unknown, keeping status, wait and cause', () => {
    const error = errorFromAnswer('create', 500, openaiError('oops'), { retryAfterMs: 700 });
    expect(error).toMatchObject({
      kind: 'retryable',
      code: 'submit_outcome_unknown',
      status: 500,
      retryAfterMs: 700,
    });
    expect(error.cause).toMatchObject({ code: 'provider_error' });
    expect(errorFromAnswer('create', 200, { code: 'upstream_error', message: 'x' }, {}).code).toBe(
      'submit_outcome_unknown',
    );
  });

  it('gives a 429 the wait the hints say: retry-after first, then the bucket reset', () => {
    const limited = openaiError('slow down', 'rate_limit_exceeded');
    expect(
      errorFromAnswer('retrieve', 429, limited, { retryAfterMs: 1500, resetMs: 60_000 }).retryAfterMs,
    ).toBe(1500);
    expect(errorFromAnswer('retrieve', 429, limited, { resetMs: 6000 }).retryAfterMs).toBe(6000);
    expect(errorFromAnswer('retrieve', 429, limited, {}).retryAfterMs).toBeUndefined();
  });

  it('puts the provider words in the message', () => {
    const error = errorFromAnswer('retrieve', 500, openaiError('The server had an error', 'server_oops'), {});
    expect(error.message).toBe(
      'openai-videos retrieve video: HTTP 500 (server_oops): The server had an error',
    );
  });
});

describe('isErrorBody and unwrap', () => {
  it('tells error bodies from videos and lists', () => {
    expect(isErrorBody({ id: 'video_1', status: 'queued', error: null })).toBe(false);
    expect(isErrorBody({ id: 'video_1', status: 'failed', error: { code: 'x', message: 'y' } })).toBe(false);
    expect(isErrorBody({ object: 'list', data: [], has_more: false })).toBe(false);
    expect(isErrorBody({ code: 'upstream_error', message: 'x', data: null })).toBe(true);
    expect(isErrorBody({ error: { message: 'x', type: 'server_error', code: null } })).toBe(true);
    expect(isErrorBody({ message: 'something broke' })).toBe(true);
    expect(isErrorBody({ code: 'success', data: null })).toBe(false);
  });

  it('unwraps a {code: "success", data: video} envelope', () => {
    const video = { task_id: 'task_1', status: 'QUEUED' };
    expect(unwrap({ code: 'success', message: '', data: video })).toBe(video);
    const list = { object: 'list', data: [video] };
    expect(unwrap(list)).toBe(list);
  });
});

describe('errorFromFailure', () => {
  const socketError = (code: string) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

  it('a refused connection is safe to re-send, even a create', () => {
    expect(errorFromFailure('create', socketError('ECONNREFUSED'), false)).toMatchObject({
      kind: 'retryable',
      code: 'provider_unreachable',
    });
  });

  it('a reset or a timeout is retryable, and an unknown outcome on create', () => {
    expect(errorFromFailure('retrieve', socketError('ECONNRESET'), false).code).toBe('network_error');
    expect(errorFromFailure('retrieve', new DOMException('t', 'TimeoutError'), true).code).toBe('timeout');
    expect(errorFromFailure('create', socketError('ECONNRESET'), false).code).toBe('submit_outcome_unknown');
    expect(errorFromFailure('create', new DOMException('t', 'TimeoutError'), true).code).toBe(
      'submit_outcome_unknown',
    );
  });
});

describe('jobFailure', () => {
  it('keeps a word-like provider code, and derives one from text otherwise', () => {
    expect(jobFailure('internal_error', 'boom')).toEqual({
      kind: 'terminal',
      code: 'internal_error',
      message: 'boom',
    });
    expect(jobFailure(undefined, '视频包含违规内容')).toMatchObject({
      kind: 'content_rejected',
      code: 'moderation_blocked',
    });
    expect(jobFailure('weird code!', undefined)).toMatchObject({
      kind: 'terminal',
      code: 'generation_failed',
    });
  });
});
