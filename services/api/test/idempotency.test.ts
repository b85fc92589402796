import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createRenderQueue, Keys, keyHash } from '@reelay/jobs';
import { waitFor } from '@reelay/testkit';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bodyOf, expectError, png, storeOf, type VideoList } from './fixtures.ts';
import { json, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
let queue: Queue;
beforeAll(async () => {
  api = await startTestApi();
  queue = createRenderQueue(api.redis.redis, api.redis.prefix);
});
afterAll(async () => {
  await queue?.close();
  await api?.close();
});

/** Every render job in the test's queue, whatever its state. */
async function jobIds(): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed']);
  return jobs.map((job) => job.id!).sort();
}

async function listIds(key: string): Promise<string[]> {
  const list = await bodyOf<VideoList>(await api.call(key, '/v1/videos?limit=100'));
  return list.data.map((video) => video.id);
}

const withKey = (body: unknown, key: string) => json(body, { 'idempotency-key': key });

it('replays the same request under the same key: same video, no second record or job', async () => {
  const key = await api.key('replay');
  const body = { prompt: 'a lighthouse at dusk', seconds: '8', metadata: { order: '1' } };
  const first = await api.call(key, '/v1/videos', withKey(body, 'order-1'));
  const original = await bodyOf(first);
  expect(first.status, JSON.stringify(original)).toBe(200);
  expect(first.headers.get('idempotent-replayed')).toBeNull();

  const second = await api.call(key, '/v1/videos', withKey(body, 'order-1'));
  const replayed = await bodyOf(second);
  expect(second.status).toBe(200);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect(replayed.id).toBe(original.id);
  expect(replayed).toMatchObject({ prompt: body.prompt, seconds: '8', status: 'queued' });

  expect(await listIds(key)).toEqual([original.id]);
  expect(await jobIds()).toContain(original.id);
  expect((await jobIds()).filter((id) => id === original.id)).toHaveLength(1);
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe((await jobIds()).length);
});

it('remembers a key for at least 24 hours', async () => {
  const key = await api.key('ttl');
  await api.call(key, '/v1/videos', withKey({ prompt: 'p' }, 'kept'));
  const ttl = await api.redis.redis.pttl(new Keys(api.redis.prefix).idempotency('ttl', keyHash('kept')));
  expect(ttl).toBeGreaterThan(24 * 3600 * 1000 - 60_000);
});

it('counts defaults as part of the request: an explicit default is the same request', async () => {
  const key = await api.key('defaults');
  const first = await bodyOf(await api.call(key, '/v1/videos', withKey({ prompt: 'p' }, 'k')));
  const second = await api.call(
    key,
    '/v1/videos',
    withKey({ prompt: 'p', model: 'sora-2', seconds: '4', size: '720x1280', priority: 'normal' }, 'k'),
  );
  expect(second.status).toBe(200);
  expect((await bodyOf(second)).id).toBe(first.id);
});

it('answers a replay of a key whose video was deleted with 409 naming the key, creating nothing', async () => {
  const key = await api.key('gone');
  const body = { prompt: 'a lantern in fog' };
  const original = await bodyOf(await api.call(key, '/v1/videos', withKey(body, 'gone-1')));
  await storeOf(api).transition('gone', original.id, 'cancel', { step: 'done' });
  expect((await api.call(key, `/v1/videos/${original.id}`, { method: 'DELETE' })).status).toBe(200);

  const error = await expectError(await api.call(key, '/v1/videos', withKey(body, 'gone-1')), 409, {
    param: 'Idempotency-Key',
  });
  expect(error.message).toMatch(/'gone-1'.*deleted/);
  expect(await listIds(key)).toEqual([]);
});

it('replays entries written in the earlier format (the whole record as JSON) during their TTL', async () => {
  const key = await api.key('oldfmt');
  const body = { prompt: 'an old entry' };
  const original = await bodyOf(await api.call(key, '/v1/videos', withKey(body, 'old-1')));
  const entryKey = new Keys(api.redis.prefix).idempotency('oldfmt', keyHash('old-1'));
  const [hash] = (await api.redis.redis.get(entryKey))!.split(' ');
  await api.redis.redis.set(
    entryKey,
    JSON.stringify({ requestHash: hash, record: { id: original.id, prompt: 'x y z' } }),
  );
  const replay = await api.call(key, '/v1/videos', withKey(body, 'old-1'));
  expect(replay.status).toBe(200);
  expect((await bodyOf(replay)).id).toBe(original.id);
});

it('refuses the same key with a different body: 422 naming the key, nothing created', async () => {
  const key = await api.key('reuse');
  const first = await bodyOf(await api.call(key, '/v1/videos', withKey({ prompt: 'one' }, 'order-2')));
  const before = await jobIds();
  const response = await api.call(key, '/v1/videos', withKey({ prompt: 'two' }, 'order-2'));
  const error = await expectError(response, 422, {
    code: 'idempotency_key_reused',
    param: 'Idempotency-Key',
  });
  expect(error.message).toContain('order-2');
  expect(error.message).toContain(first.id);
  expect(await listIds(key)).toEqual([first.id]);
  expect(await jobIds()).toEqual(before);
});

it('scopes keys to the tenant: the same key text in another tenant is another request', async () => {
  const [a, b] = [await api.key('tenant-a'), await api.key('tenant-b')];
  const body = { prompt: 'same words' };
  const fromA = await bodyOf(await api.call(a, '/v1/videos', withKey(body, 'shared-key')));
  const responseB = await api.call(b, '/v1/videos', withKey(body, 'shared-key'));
  const fromB = await bodyOf(responseB);
  expect(responseB.status).toBe(200);
  expect(responseB.headers.get('idempotent-replayed')).toBeNull();
  expect(fromB.id).not.toBe(fromA.id);
  expect(fromB.reelay.tenant).toBe('tenant-b');
  // A different body under A's key text is fine in B too: the key is not A's.
  const otherB = await api.call(b, '/v1/videos', withKey({ prompt: 'other words' }, 'shared-key-2'));
  expect(otherB.status).toBe(200);
  expect(await jobIds()).toEqual(expect.arrayContaining([fromA.id, fromB.id]));
});

it('creates exactly one job for 25 concurrent duplicates, all answering the same id', async () => {
  const key = await api.key('burst');
  const before = await jobIds();
  const body = { prompt: 'twenty-five at once', seconds: '12', priority: 'high' };
  const responses = await Promise.all(
    Array.from({ length: 25 }, () => api.call(key, '/v1/videos', withKey(body, 'burst-1'))),
  );
  const videos = await Promise.all(responses.map((r) => bodyOf(r)));
  expect(responses.map((r) => r.status)).toEqual(Array(25).fill(200));
  const ids = new Set(videos.map((v) => v.id));
  expect(ids.size).toBe(1);
  expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(24);
  const [id] = [...ids];
  expect(await listIds(key)).toEqual([id]);
  const after = await jobIds();
  expect(after.filter((j) => !before.includes(j))).toEqual([id]);
});

it('treats a JSON request and the equivalent multipart request under one key as the same request', async () => {
  const key = await api.key('formats');
  const first = await api.call(
    key,
    '/v1/videos',
    withKey(
      {
        prompt: 'a red kite',
        seconds: '8',
        metadata: { team: 'x' },
        input_reference: { image_url: 'https://example.com/frame.png' },
        webhook_url: 'https://example.com/hook',
        webhook_events: ['video.completed'],
      },
      'fmt-1',
    ),
  );
  const original = await bodyOf(first);
  expect(first.status, JSON.stringify(original)).toBe(200);

  const form = new FormData();
  form.append('prompt', 'a red kite');
  form.append('seconds', '8');
  form.append('metadata[team]', 'x');
  form.append('input_reference[image_url]', 'https://example.com/frame.png');
  form.append('webhook_url', 'https://example.com/hook');
  form.append('webhook_events', 'video.completed');
  const second = await api.call(key, '/v1/videos', {
    method: 'POST',
    headers: { 'idempotency-key': 'fmt-1' },
    body: form,
  });
  const replayed = await bodyOf(second);
  expect(second.status, JSON.stringify(replayed)).toBe(200);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect(replayed.id).toBe(original.id);

  // ...and a multipart request that differs is still told apart.
  form.set('seconds', '4');
  const third = await api.call(key, '/v1/videos', {
    method: 'POST',
    headers: { 'idempotency-key': 'fmt-1' },
    body: form,
  });
  await expectError(third, 422, { code: 'idempotency_key_reused' });
  expect(await listIds(key)).toEqual([original.id]);
});

it('answers a replay on the gateway flavor in the gateway shape', async () => {
  const key = await api.key('gw-replay');
  const first = await bodyOf(await api.call(key, '/v1/videos', withKey({ prompt: 'p' }, 'gw')));
  const again = await api.call(key, '/newapi/v1/videos', withKey({ prompt: 'p' }, 'gw'));
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(await again.json()).toMatchObject({
    id: first.id,
    task_id: first.id,
    status: 'QUEUED',
    progress: '0%',
  });
});

it('keeps one stored first frame for a replayed upload, and none for a refused one', async () => {
  const key = await api.key('uploads');
  const frame = png(720, 1280);
  const upload = (prompt: string) => {
    const form = new FormData();
    form.append('prompt', prompt);
    form.append('input_reference', new Blob([frame], { type: 'image/png' }), 'frame.png');
    return api.call(key, '/v1/videos', {
      method: 'POST',
      headers: { 'idempotency-key': 'up-1' },
      body: form,
    });
  };
  const stored = async () => {
    const page = await api.bucket.s3.send(
      new ListObjectsV2Command({ Bucket: api.bucket.bucket, Prefix: 'tenants/uploads/' }),
    );
    return (page.Contents ?? []).map((o) => o.Key);
  };
  const first = await bodyOf(await upload('with a frame'));
  const again = await upload('with a frame');
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect((await bodyOf(again)).id).toBe(first.id);
  const only = [`tenants/uploads/videos/${first.id}/input_reference.png`];
  // The replay stored its copy before it knew it was a replay, then removes it (without waiting).
  await waitFor(async () => JSON.stringify(await stored()) === JSON.stringify(only), {
    what: 'one stored frame',
  });

  await expectError(await upload('another prompt'), 422, { code: 'idempotency_key_reused' });
  expect(await stored()).toEqual(only);
});
