import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createRenderQueue } from '@reelay/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, expectError, png, readObject, storeOf, type VideoList } from './fixtures.ts';
import { json, startTestApi, type TestApi } from './harness.ts';

// Every bad input is a 4xx in OpenAI's error shape naming the parameter, never a 500, and leaves
// nothing behind: rejected requests are sent as tenant `rejects`, whose list, queue and bucket folder
// stay empty.

let api: TestApi;
let small: TestApi;
let rejects: string;
let smallKey: string;
beforeAll(async () => {
  [api, small] = await Promise.all([
    startTestApi(),
    startTestApi({ API_BODY_LIMIT_BYTES: '2048', API_MAX_UPLOAD_BYTES: '1024' }),
  ]);
  rejects = await api.key('rejects');
  smallKey = await small.key('rejects');
});
afterAll(async () => {
  await Promise.all([api?.close(), small?.close()]);
});

const create = (body: unknown) => api.call(rejects, '/v1/videos', json(body));
const multipart = (form: FormData, key = rejects, target = api) =>
  target.call(key, '/v1/videos', { method: 'POST', body: form });
const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
};
const pngBlob = (width: number, height: number) => new Blob([png(width, height)], { type: 'image/png' });
const metadataOf = (entries: number) =>
  Object.fromEntries(Array.from({ length: entries }, (_, i) => [`k${i}`, 'v']));

describe('create body (JSON)', () => {
  it.each([
    ['missing prompt', { seconds: '4' }, 'prompt'],
    ['empty prompt', { prompt: '' }, 'prompt'],
    ['prompt over 32000 characters', { prompt: 'x'.repeat(32_001) }, 'prompt'],
    ['prompt not a string', { prompt: 42 }, 'prompt'],
    ['seconds as a JSON integer', { prompt: 'p', seconds: 8 }, 'seconds'],
    ['seconds not offered', { prompt: 'p', seconds: '7' }, 'seconds'],
    ['size not WxH', { prompt: 'p', size: '720X1280' }, 'size'],
    ['size as text', { prompt: 'p', size: 'portrait' }, 'size'],
    ['unknown model', { prompt: 'p', model: 'sora-9' }, 'model'],
    ['empty model', { prompt: 'p', model: '' }, 'model'],
    ['size the model does not offer', { prompt: 'p', model: 'sora-2', size: '1920x1080' }, 'size'],
    ['unknown top-level parameter', { prompt: 'p', quality: 'high' }, 'quality'],
    ['metadata with 17 keys', { prompt: 'p', metadata: metadataOf(17) }, 'metadata'],
    ['metadata not an object', { prompt: 'p', metadata: ['a'] }, 'metadata'],
    ['webhook_url not a URL', { prompt: 'p', webhook_url: 'not a url' }, 'webhook_url'],
    ['webhook_url not http(s)', { prompt: 'p', webhook_url: 'ftp://example.com/hook' }, 'webhook_url'],
    [
      'webhook_events empty',
      { prompt: 'p', webhook_url: 'https://example.com/h', webhook_events: [] },
      'webhook_events',
    ],
    ['webhook_events not a list', { prompt: 'p', webhook_events: 'video.completed' }, 'webhook_events'],
    ['priority unknown', { prompt: 'p', priority: 'urgent' }, 'priority'],
    ['provider account unknown', { prompt: 'p', provider: 'nope' }, 'provider'],
    [
      'provider account not offering the model',
      { prompt: 'p', model: 'sora-2', provider: 'sim-pro' },
      'provider',
    ],
    ['provider not an account id', { prompt: 'p', provider: 'Not An Id!' }, 'provider'],
    [
      'input_reference with image_url and file_id',
      { prompt: 'p', input_reference: { image_url: 'https://example.com/a.png', file_id: 'file_1' } },
      'input_reference',
    ],
    ['input_reference empty', { prompt: 'p', input_reference: {} }, 'input_reference'],
    [
      'input_reference forging an upload in JSON',
      {
        prompt: 'p',
        input_reference: { upload: { filename: 'a.png', mimetype: 'image/png', data: 'iVBOR' } },
      },
      'input_reference',
    ],
    ['empty object', {}, 'prompt'],
    ['a JSON array', [{ prompt: 'p' }], null],
  ])('rejects %s (400, param %s)', async (_name, body, param) => {
    const error = await expectError(await create(body), 400, { param, code: 'invalid_request' });
    expect(error.type).toBe('invalid_request_error');
  });

  it('rejects a non-http input_reference image_url, naming it', async () => {
    const response = await create({ prompt: 'p', input_reference: { image_url: 'ftp://x/a.png' } });
    await expectError(response, 400, { param: 'input_reference.image_url' });
  });

  it.each([
    ['a metadata key over 64 characters', { ['k'.repeat(65)]: 'v' }, 'keys are at most 64 characters'],
    ['a metadata value over 512 characters', { team: 'v'.repeat(513) }, 'values are at most 512 characters'],
    ['a non-string metadata value', { team: 7 }, 'values must be strings'],
    ['an empty metadata key', { '': 'v' }, 'keys must not be empty'],
  ])('rejects %s, naming metadata and the rule', async (_name, metadata, rule) => {
    const error = await expectError(await create({ prompt: 'p', metadata }), 400, {
      code: 'invalid_request',
    });
    expect(error.param).toMatch(/^metadata\b/);
    expect(error.message).toContain(rule);
  });

  it.each([
    ['an unknown event', ['video.exploded']],
    ['a non-string event', [1]],
  ])('rejects webhook_events with %s, naming webhook_events', async (_name, events) => {
    const response = await create({
      prompt: 'p',
      webhook_url: 'https://example.com/h',
      webhook_events: events,
    });
    const error = await expectError(response, 400, { code: 'invalid_request' });
    expect(error.param).toMatch(/^webhook_events\b/);
  });

  it('names the unknown parameter in the message', async () => {
    const error = await expectError(await create({ prompt: 'p', quality: 'high' }), 400, {
      param: 'quality',
    });
    expect(error.message).toContain("'quality'");
  });

  it('says which combinations are offered', async () => {
    const response = await create({ prompt: 'p', model: 'sora-2', size: '1920x1080' });
    const error = await expectError(response, 400, { param: 'size' });
    expect(error.message).toContain('720x1280');
  });

  it('accepts the same model/size combination on the model that offers it', async () => {
    const key = await api.key('accepts');
    const response = await api.call(
      key,
      '/v1/videos',
      json({ prompt: 'p', model: 'sora-2-pro', size: '1920x1080', seconds: '12' }),
    );
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ model: 'sora-2-pro', size: '1920x1080', seconds: '12' });
  });
});

describe('body framing', () => {
  const rawJson = (body: string) =>
    api.call(rejects, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it.each([
    ['cut short', '{"prompt": "a cat",', 'not valid JSON'],
    ['a bare word', '{"prompt": cat}', "Unexpected token 'c'"],
    ['__proto__', '{"prompt": "p", "__proto__": {"x": 1}}', 'forbidden key (__proto__'],
    ['constructor.prototype', '{"prompt": "p", "constructor": {"prototype": {"x": 1}}}', 'forbidden key'],
  ])('rejects JSON %s with invalid_json, saying why', async (_name, body, why) => {
    const error = await expectError(await rawJson(body), 400, { code: 'invalid_json' });
    expect(error.message).toContain(why);
  });

  it('refuses a compressed body with 415, naming the encoding', async () => {
    const response = await api.call(rejects, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipSync('{"prompt":"a cat"}')),
    });
    const error = await expectError(response, 415, { code: 'unsupported_media_type' });
    expect(error.message).toContain("Content-Encoding 'gzip'");
  });

  it('rejects an empty JSON body with invalid_json', async () => {
    const response = await api.call(rejects, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    await expectError(response, 400, { code: 'invalid_json' });
  });

  it.each([
    ['text/plain', '{"prompt":"a cat"}'],
    ['application/x-www-form-urlencoded', 'prompt=a+cat'],
    ['application/xml', '<prompt>a cat</prompt>'],
  ])('rejects a %s body with 415', async (type, body) => {
    const response = await api.call(rejects, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    const error = await expectError(response, 415, { code: 'unsupported_media_type' });
    expect(error.message).toBe(
      `Unsupported Content-Type '${type}' for POST /v1/videos: send application/json or multipart/form-data.`,
    );
  });

  it.each([
    ['/admin/login', 'application/x-www-form-urlencoded or application/json'],
    ['/v1/webhooks/test', 'application/json'],
  ])('names the types %s takes in its 415', async (path, types) => {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rejects}`, 'content-type': 'text/csv' },
      body: 'a,b',
    });
    const error = await expectError(response, 415, { code: 'unsupported_media_type' });
    expect(error.message).toBe(`Unsupported Content-Type 'text/csv' for POST ${path}: send ${types}.`);
  });

  it('rejects a JSON body over API_BODY_LIMIT_BYTES with 413', async () => {
    const response = await small.call(smallKey, '/v1/videos', json({ prompt: 'x'.repeat(4000) }));
    await expectError(response, 413, { code: 'payload_too_large' });
  });

  it('accepts a JSON body under API_BODY_LIMIT_BYTES on the same api', async () => {
    const key = await small.key('accepts');
    const response = await small.call(key, '/v1/videos', json({ prompt: 'x'.repeat(1500) }));
    expect(response.status, await response.clone().text()).toBe(200);
  });
});

describe('multipart', () => {
  it('rejects an upload over API_MAX_UPLOAD_BYTES with 413', async () => {
    const data = form({ prompt: 'p' });
    data.append('input_reference', new Blob([Buffer.alloc(1500, 1)], { type: 'image/png' }), 'big.png');
    await expectError(await multipart(data, smallKey, small), 413, { code: 'payload_too_large' });
  });

  it('rejects a multipart body without a boundary', async () => {
    const response = await api.call(rejects, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: '--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n--xyz--\r\n',
    });
    await expectError(response, 400, { code: 'invalid_multipart' });
  });

  /** A one-field multipart create written by hand, with the boundary given. */
  const rawMultipart = (boundary: string, path: string, key = rejects) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n--${boundary}--\r\n`,
    });

  // busboy throws a bare Error (no status) for a boundary over 252 characters: that was a 500, on every
  // route that reads a body, the unauthenticated login included.
  it.each([71, 253, 5000])('rejects a %i-character boundary (RFC 2046 allows 70)', async (length) => {
    for (const path of ['/v1/videos', '/newapi/v1/videos']) {
      const error = await expectError(await rawMultipart('b'.repeat(length), path), 400, {
        code: 'invalid_multipart',
      });
      expect(error.message).toContain(`boundary is ${length} characters long`);
    }
  });

  it.each(['/admin/login', '/v1/webhooks/secret/rotate', '/v1/webhooks/test'])(
    'refuses multipart on %s, which takes no uploads, before reading it (415)',
    async (path) => {
      const data = form({ prompt: 'p' });
      data.append('input_reference', new Blob([Buffer.alloc(2 * 1024 * 1024)]), 'big.png');
      const response = await fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rejects}` },
        body: data,
      });
      const error = await expectError(response, 415, { code: 'unsupported_media_type' });
      expect(error.message).toMatch(
        new RegExp(
          `^Unsupported Content-Type 'multipart/form-data' for POST ${path}: send [^.]*application/json\\.$`,
        ),
      );
    },
  );

  it('accepts a 70-character boundary', async () => {
    const response = await rawMultipart('b'.repeat(70), '/v1/videos', await api.key('accepts'));
    expect(response.status, await response.clone().text()).toBe(200);
  });

  it('rejects a truncated multipart body', async () => {
    const response = await api.call(rejects, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat',
    });
    await expectError(response, 400, { code: 'invalid_multipart' });
  });

  it('answers a part with a malformed header as a 400 (the part is dropped)', async () => {
    const response = await api.call(rejects, '/v1/videos', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: `--xyz\r\n${'X'.repeat(100_000)}\r\n\r\na cat\r\n--xyz--\r\n`,
    });
    await expectError(response, 400, { param: 'prompt' });
  });

  it('rejects two files', async () => {
    const data = form({ prompt: 'p' });
    data.append('input_reference', pngBlob(720, 1280), 'a.png');
    data.append('input_reference', pngBlob(720, 1280), 'b.png');
    await expectError(await multipart(data), 400, { code: 'invalid_multipart' });
  });

  it('rejects an upload that is not an image type', async () => {
    const data = form({ prompt: 'p' });
    data.append('input_reference', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    await expectError(await multipart(data), 400, { param: 'input_reference' });
  });

  it('rejects an upload that claims to be a PNG but is not one', async () => {
    const data = form({ prompt: 'p' });
    data.append('input_reference', new Blob([Buffer.alloc(600, 7)], { type: 'image/png' }), 'fake.png');
    await expectError(await multipart(data), 400, { param: 'input_reference' });
  });

  it('rejects a PNG whose dimensions do not match size', async () => {
    const data = form({ prompt: 'p', size: '720x1280' });
    data.append('input_reference', pngBlob(1280, 720), 'landscape.png');
    const error = await expectError(await multipart(data), 400, { param: 'input_reference' });
    expect(error.message).toContain('1280x720');
  });

  it.each([
    ['file first', true],
    ['image_url first', false],
  ])('rejects an uploaded file together with input_reference[image_url] (%s)', async (_name, fileFirst) => {
    const data = form({ prompt: 'p' });
    const file = () => data.append('input_reference', pngBlob(720, 1280), 'a.png');
    if (fileFirst) file();
    data.append('input_reference[image_url]', 'https://example.com/a.png');
    if (!fileFirst) file();
    await expectError(await multipart(data), 400, { param: 'input_reference' });
  });

  it('rejects a plain field and a bracketed one of the same name', async () => {
    const data = form({ prompt: 'p', metadata: 'x', 'metadata[team]': 'y' });
    await expectError(await multipart(data), 400, { param: 'metadata', code: 'invalid_multipart' });
  });

  it('refuses prototype field names without polluting the process', async () => {
    for (const name of ['__proto__[polluted]', 'constructor[polluted]', 'metadata[__proto__]']) {
      await expectError(await multipart(form({ prompt: 'p', [name]: 'yes' })), 400, {
        code: 'invalid_multipart',
      });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const key = await api.key('after-proto');
    const response = await multipart(form({ prompt: 'still fine' }), key);
    expect(response.status, await response.clone().text()).toBe(200);
  });

  it('validates multipart fields with the same rules as JSON', async () => {
    await expectError(await multipart(form({ prompt: 'p', seconds: '7' })), 400, { param: 'seconds' });
    await expectError(await multipart(form({ prompt: 'p', color: 'red' })), 400, { param: 'color' });
    await expectError(await multipart(form({ seconds: '4' })), 400, { param: 'prompt' });
    await expectError(
      await multipart(form({ prompt: 'p', 'input_reference[image_url]': 'ftp://x/a.png' })),
      400,
      { param: 'input_reference.image_url' },
    );
  });

  it('creates a video from fields, metadata and a PNG first frame, stored in S3', async () => {
    const key = await api.key('acme');
    const frame = png(720, 1280);
    const data = form({
      model: 'sora-2',
      prompt: 'a cat on a piano',
      seconds: '8',
      size: '720x1280',
      'metadata[team]': 'x',
    });
    data.append('input_reference', new Blob([frame], { type: 'image/png' }), 'frame.png');
    const response = await multipart(data, key);
    const video = await bodyOf(response);
    expect(response.status, JSON.stringify(video)).toBe(200);
    expect(video).toMatchObject({
      object: 'video',
      status: 'queued',
      seconds: '8',
      size: '720x1280',
      prompt: 'a cat on a piano',
    });
    expect(video.reelay.metadata).toEqual({ team: 'x' });
    const stored = await readObject(
      api.bucket.s3,
      api.bucket.bucket,
      `tenants/acme/videos/${video.id}/input_reference.png`,
    );
    expect(stored?.equals(frame)).toBe(true);
    const record = await storeOf(api).get('acme', video.id);
    expect(record?.inputReference).toMatchObject({
      kind: 'upload',
      contentType: 'image/png',
      bytes: frame.length,
    });
  });

  it('accepts an upload larger than the JSON body limit, up to API_MAX_UPLOAD_BYTES', async () => {
    const key = await api.key('acme');
    const frame = png(720, 1280, { noise: true });
    expect(frame.length).toBeGreaterThan(Number(api.env.API_BODY_LIMIT_BYTES) * 2);
    const data = form({ prompt: 'a noisy first frame' });
    data.append('input_reference', new Blob([frame], { type: 'image/png' }), 'noise.png');
    const response = await multipart(data, key);
    expect(response.status, await response.clone().text()).toBe(200);
    const video = await bodyOf(response);
    const stored = await readObject(
      api.bucket.s3,
      api.bucket.bucket,
      `tenants/acme/videos/${video.id}/input_reference.png`,
    );
    expect(stored?.equals(frame)).toBe(true);
  });

  it('creates a video with input_reference[image_url] and repeated webhook_events', async () => {
    const key = await api.key('acme');
    const data = form({
      prompt: 'p',
      'input_reference[image_url]': 'https://example.com/first.png',
      webhook_url: 'https://example.com/hook',
    });
    data.append('webhook_events', 'video.completed');
    data.append('webhook_events', 'video.failed');
    const response = await multipart(data, key);
    const video = await bodyOf(response);
    expect(response.status, JSON.stringify(video)).toBe(200);
    expect(video.reelay.webhook).toMatchObject({
      url: 'https://example.com/hook',
      events: ['video.completed', 'video.failed'],
    });
    const record = await storeOf(api).get('acme', video.id);
    expect(record?.inputReference).toEqual({ kind: 'url', url: 'https://example.com/first.png' });
  });
});

describe('bodies with every field optional', () => {
  it('takes a POST without any body as all defaults', async () => {
    const response = await api.call(await api.key('accepts'), '/v1/webhooks/secret/rotate', {
      method: 'POST',
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ object: 'webhook.secret' });
  });

  it('names the first missing parameter when a create comes without any body', async () => {
    await expectError(await api.call(rejects, '/v1/videos', { method: 'POST' }), 400, { param: 'prompt' });
  });
});

describe('webhook endpoint pages', () => {
  it.each(['mailto:ops@example.com', 'javascript:alert(1)', 'file:///etc/passwd', 'urn:isbn:0451450523'])(
    'refuse %s: only http(s) URLs have an endpoint',
    async (url) => {
      const admin = await api.key('ops', ['admin']);
      const response = await api.call(admin, `/admin/webhooks/endpoint?url=${encodeURIComponent(url)}`);
      await expectError(response, 400, { param: 'url' });
      const enable = await api.call(admin, '/admin/webhooks/endpoint/enable', json({ url }));
      await expectError(enable, 400, { param: 'url' });
    },
  );
});

describe('headers, queries and paths', () => {
  it.each([
    ['too long', 'k'.repeat(256)],
    ['with spaces', 'my key'],
  ])('rejects an Idempotency-Key %s', async (_name, value) => {
    const response = await api.call(
      rejects,
      '/v1/videos',
      json({ prompt: 'p' }, { 'idempotency-key': value }),
    );
    await expectError(response, 400, { param: 'Idempotency-Key' });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=2.5', 'limit'],
    ['order=sideways', 'order'],
    ['after=video_nope', 'after'],
    ['after=', 'after'],
    ['cursor=x', 'cursor'],
  ])('rejects the list query %s', async (query, param) => {
    await expectError(await api.call(rejects, `/v1/videos?${query}`), 400, { param });
  });

  it.each([
    '/v1/videos/nope',
    '/v1/videos/video_123',
    '/v1/videos/nope/content',
    '/v1/videos/nope/events',
    '/newapi/v1/videos/nope',
  ])('rejects a malformed video id in %s', async (path) => {
    await expectError(await api.call(rejects, path), 400, { param: 'video_id' });
  });

  it.each([
    ['a video id longer than the router allows', `/v1/videos/video_${'a'.repeat(300)}`],
    ['a malformed percent-encoding', '/v1/videos/%E0%A4%A'],
  ])('answers a path with %s in the error shape', async (_name, path) => {
    const response = await api.call(rejects, path);
    const error = await expectError(response, response.status);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(error.type).toBe('invalid_request_error');
  });

  it('rejects an unknown content variant', async () => {
    const response = await api.call(rejects, `/v1/videos/video_${'0'.repeat(32)}/content?variant=poster`);
    await expectError(response, 400, { param: 'variant' });
  });

  it('answers 404 for a well-formed id that does not exist', async () => {
    await expectError(await api.call(rejects, `/v1/videos/video_${'0'.repeat(32)}`), 404, {
      code: 'not_found',
    });
  });

  it.each([
    ['GET', '/v1/nothing'],
    ['GET', '/'],
    ['PUT', '/v1/videos'],
  ])('answers an unknown route (%s %s) with a 404 in the error shape', async (method, path) => {
    await expectError(await api.call(rejects, path, { method }), 404, { code: 'not_found' });
  });
});

it('left nothing behind for any rejected request', async () => {
  const list = await bodyOf<VideoList>(await api.call(rejects, '/v1/videos'));
  expect(list.data).toEqual([]);
  const queue = createRenderQueue(api.redis.redis, api.redis.prefix);
  const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
  await queue.close();
  expect(jobs.map((j) => j.data.tenant)).not.toContain('rejects');
  const objects = await api.bucket.s3.send(
    new ListObjectsV2Command({ Bucket: api.bucket.bucket, Prefix: 'tenants/rejects/' }),
  );
  expect(objects.KeyCount ?? 0).toBe(0);
});
