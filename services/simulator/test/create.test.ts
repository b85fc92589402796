import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../src/media.ts';
import { client, useSimulator } from './helpers.ts';

// Create over JSON and multipart, and every validation rule answering a 400 that names its param.

const sim = await useSimulator({ SIM_CONCURRENCY: 1000 });
const api = client(sim, 'key-create');
// A real 720x1280 image (the fixture thumbnail) and one of the wrong size.
const tall = await readFile(join(FIXTURES_DIR, 'thumbnail_720x1280.webp'));
const wide = await readFile(join(FIXTURES_DIR, 'thumbnail_1280x720.webp'));

describe('create', () => {
  it('accepts JSON with defaults and answers a queued video object', async () => {
    const { status, body, headers } = await api.create({ prompt: 'a lighthouse at dusk' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: 'video',
      model: 'sora-2',
      status: 'queued',
      progress: 0,
      prompt: 'a lighthouse at dusk',
      size: '720x1280',
      seconds: '4',
      remixed_from_video_id: null,
      completed_at: null,
      expires_at: null,
      error: null,
    });
    expect(body.id).toMatch(/^video_[0-9a-f]{48}$/);
    expect(body.created_at).toBeCloseTo(Date.now() / 1000, -1);
    expect(headers.get('x-request-id')).toMatch(/^req_/);
    expect(Number(headers.get('openai-poll-after-ms'))).toBeGreaterThan(0);
  });

  it('accepts every documented model, size and length', async () => {
    const combos = [
      { model: 'sora-2', size: '1280x720', seconds: '8' },
      { model: 'sora-2-pro', size: '1024x1792', seconds: '12' },
      { model: 'sora-2-pro', size: '1792x1024', seconds: '16' },
      { model: 'sora-2-pro', size: '1080x1920', seconds: '20' },
      { model: 'sora-2-pro', size: '1920x1080', seconds: '4' },
    ];
    for (const combo of combos) {
      const { status, body } = await api.create({ prompt: 'p', ...combo });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject(combo);
    }
  });

  it('accepts multipart (what the SDK sends), nested input_reference keys and an image upload', async () => {
    const form = new FormData();
    form.set('prompt', 'from a form');
    form.set('model', 'sora-2');
    form.set('seconds', '8');
    form.set('size', '720x1280');
    form.set('input_reference', new Blob([tall], { type: 'image/webp' }), 'first-frame.webp');
    const upload = await api.createForm(form);
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    expect(upload.body).toMatchObject({ prompt: 'from a form', seconds: '8', size: '720x1280' });
    expect(await sim.stats({ hash: false })).toMatchObject({
      jobs: expect.arrayContaining([expect.objectContaining({ id: upload.body.id, inputReference: 'file' })]),
    });

    const nested = new FormData();
    nested.set('prompt', 'nested');
    nested.set('input_reference[image_url]', 'https://example.com/frame.png');
    const answer = await api.createForm(nested);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });

  it('accepts input_reference as a JSON image_url (http or data URL) or file_id', async () => {
    const dataUrl = `data:image/webp;base64,${tall.toString('base64')}`;
    for (const ref of [
      { image_url: 'https://example.com/a.jpg' },
      { image_url: dataUrl },
      { file_id: 'file-abc' },
    ]) {
      const { status, body } = await api.create({ prompt: 'p', input_reference: ref });
      expect(status, JSON.stringify(body)).toBe(200);
    }
  });

  const rejected: Array<[string, Record<string, unknown>, string]> = [
    ['missing prompt', {}, 'prompt'],
    ['empty prompt', { prompt: '' }, 'prompt'],
    ['prompt over 32000 chars', { prompt: 'x'.repeat(32_001) }, 'prompt'],
    ['prompt not a string', { prompt: 42 }, 'prompt'],
    ['unknown model', { prompt: 'p', model: 'sora-3' }, 'model'],
    ['seconds as a JSON integer', { prompt: 'p', seconds: 8 }, 'seconds'],
    ['unsupported seconds', { prompt: 'p', seconds: '5' }, 'seconds'],
    ['unknown size', { prompt: 'p', size: '640x480' }, 'size'],
    ['a pro size on sora-2', { prompt: 'p', model: 'sora-2', size: '1920x1080' }, 'size'],
    ['input_reference with neither field', { prompt: 'p', input_reference: {} }, 'input_reference'],
    [
      'input_reference with both fields',
      { prompt: 'p', input_reference: { image_url: 'https://e.com/a.png', file_id: 'file-1' } },
      'input_reference',
    ],
    [
      'input_reference as a string',
      { prompt: 'p', input_reference: 'https://e.com/a.png' },
      'input_reference',
    ],
    [
      'image_url not a URL',
      { prompt: 'p', input_reference: { image_url: 'ftp://x/y' } },
      'input_reference.image_url',
    ],
    [
      'data URL image of the wrong size',
      { prompt: 'p', input_reference: { image_url: `data:image/webp;base64,${wide.toString('base64')}` } },
      'input_reference',
    ],
    ['unknown #sim directive', { prompt: 'p #sim(bites=10)' }, 'prompt'],
    ['#sim(bytes) below the clip size', { prompt: 'p #sim(bytes=100)' }, 'prompt'],
    ['#sim(fail_at) out of range', { prompt: 'p #sim(fail=error,fail_at=2)' }, 'prompt'],
  ];
  it.each(rejected)('rejects %s with a 400 naming the param', async (_name, body, param) => {
    const answer = await api.create(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(answer.body.error.message).toEqual(expect.any(String));
  });

  it('rejects multipart uploads that are not the right image', async () => {
    const wrongSize = new FormData();
    wrongSize.set('prompt', 'p');
    wrongSize.set('input_reference', new Blob([wide], { type: 'image/webp' }), 'wide.webp');
    const sized = await api.createForm(wrongSize);
    expect(sized.status).toBe(400);
    expect(sized.body.error.param).toBe('input_reference');

    const notImage = new FormData();
    notImage.set('prompt', 'p');
    notImage.set('input_reference', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    const typed = await api.createForm(notImage);
    expect(typed.status).toBe(400);
    expect(typed.body.error).toMatchObject({ param: 'input_reference', code: 'unsupported_file_type' });

    const badSeconds = new FormData();
    badSeconds.set('prompt', 'p');
    badSeconds.set('seconds', '7');
    const seconds = await api.createForm(badSeconds);
    expect(seconds.status).toBe(400);
    expect(seconds.body.error.param).toBe('seconds');
  });

  it('answers unreadable bodies with a 400, never a 500', async () => {
    const json = await api.call('POST', '/videos', {
      body: '{"prompt": "unterminated',
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('invalid_json');

    const array = await api.call('POST', '/videos', {
      body: '[1,2]',
      headers: { 'content-type': 'application/json' },
    });
    expect(array.status).toBe(400);

    const multipart = await api.call('POST', '/videos', {
      body: '--xx\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nno closing boundary',
      headers: { 'content-type': 'multipart/form-data; boundary=xx' },
    });
    expect(multipart.status).toBe(400);
    expect(multipart.body.error.code).toBe('invalid_multipart');

    const noBoundary = await api.call('POST', '/videos', {
      body: 'whatever',
      headers: { 'content-type': 'multipart/form-data' },
    });
    expect(noBoundary.status).toBe(400);
  });

  it('answers unknown paths with the OpenAI error shape', async () => {
    const answer = await api.call('GET', '/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('Invalid URL'),
    });
  });
});

describe('authentication', () => {
  it('requires a bearer key', async () => {
    const anonymous = client(sim, null);
    for (const answer of [await anonymous.create({ prompt: 'p' }), await anonymous.list()]) {
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'missing_api_key' });
    }
    const basic = await anonymous.call('GET', '/videos', {
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(basic.status).toBe(401);
  });

  it('accepts only SIM_API_KEYS when set', async () => {
    const locked = await useSimulator({ SIM_API_KEYS: ['sk-good-1', 'sk-good-2'] });
    const good = await client(locked, 'sk-good-2').create({ prompt: 'p' });
    expect(good.status).toBe(200);
    const bad = await client(locked, 'sk-bad-key-123').create({ prompt: 'p' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('invalid_api_key');
    expect(bad.body.error.message).not.toContain('sk-bad-key-123');
  });
});
