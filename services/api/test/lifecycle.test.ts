import { createRenderQueue } from '@reelay/jobs';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
  completeWithOutputs,
  expectError,
  png,
  readObject,
  storeOf,
  type Video,
  type VideoList,
} from './fixtures.ts';
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

async function create(key: string, body: Record<string, unknown> = {}): Promise<Video> {
  const response = await api.call(key, '/v1/videos', json({ prompt: 'p', ...body }));
  expect(response.status).toBe(200);
  return bodyOf(response);
}

const mp4 = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const webp = Buffer.from('RIFF....WEBPVP8 thumbnail');

describe('list', () => {
  let key: string;
  let created: string[];
  beforeAll(async () => {
    key = await api.key('lister');
    created = [];
    for (let i = 0; i < 7; i++) {
      created.push((await create(key, { prompt: `video ${i}` })).id);
      // Ids order by creation time in milliseconds: keep each in a millisecond of its own.
      await new Promise((r) => setTimeout(r, 2));
    }
  });

  async function pages(query: string): Promise<{ ids: string[]; pages: VideoList[] }> {
    const ids: string[] = [];
    const seen: VideoList[] = [];
    let after: string | null = null;
    for (let n = 0; n < 10; n++) {
      const response = await api.call(key, `/v1/videos?${query}${after ? `&after=${after}` : ''}`);
      const page = await bodyOf<VideoList>(response);
      expect(response.status, JSON.stringify(page)).toBe(200);
      seen.push(page);
      const pageIds = page.data.map((v) => v.id);
      expect(page.first_id).toBe(pageIds[0] ?? null);
      expect(page.last_id).toBe(pageIds.at(-1) ?? null);
      ids.push(...pageIds);
      if (!page.has_more) return { ids, pages: seen };
      after = page.last_id;
    }
    throw new Error('pagination did not end');
  }

  it('lists newest first by default', async () => {
    const page = await bodyOf<VideoList>(await api.call(key, '/v1/videos'));
    expect(page).toMatchObject({
      object: 'list',
      has_more: false,
      first_id: created[6],
      last_id: created[0],
    });
    expect(page.data.map((v) => v.id)).toEqual([...created].reverse());
  });

  it('walks pages of 3 with after=last_id, without duplicates or gaps', async () => {
    const { ids, pages: seen } = await pages('limit=3');
    expect(ids).toEqual([...created].reverse());
    expect(seen.map((p) => p.data.length)).toEqual([3, 3, 1]);
    expect(seen.map((p) => p.has_more)).toEqual([true, true, false]);
  });

  it('walks oldest first with order=asc', async () => {
    const { ids } = await pages('limit=2&order=asc');
    expect(ids).toEqual(created);
  });

  it('says has_more=false on a page that ends exactly at the last video', async () => {
    const page = await bodyOf<VideoList>(await api.call(key, '/v1/videos?limit=7'));
    expect(page.data).toHaveLength(7);
    expect(page.has_more).toBe(false);
    const empty = await (await api.call(key, `/v1/videos?after=${created[0]}`)).json();
    expect(empty).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('keeps a cursor valid after its video is deleted', async () => {
    const other = await api.key('cursor');
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await create(other)).id);
      await new Promise((r) => setTimeout(r, 2));
    }
    await storeOf(api).transition('cursor', ids[1]!, 'cancel', { step: 'done' });
    expect((await api.call(other, `/v1/videos/${ids[1]}`, { method: 'DELETE' })).status).toBe(200);
    const page = await bodyOf<VideoList>(await api.call(other, `/v1/videos?after=${ids[1]}`));
    expect(page.data.map((v) => v.id)).toEqual([ids[0]]);
  });
});

it('reports the queue position in priority order, and keeps it current', async () => {
  const own = await startTestApi();
  try {
    const key = await own.key('queue');
    const create = async (priority: string) =>
      (await bodyOf(await own.call(key, '/v1/videos', json({ prompt: 'p', priority })))).id;
    const [a, b, urgent, later] = [
      await create('normal'),
      await create('normal'),
      await create('high'),
      await create('low'),
    ];
    const positions = async () => {
      const list = await bodyOf<VideoList>(await own.call(key, '/v1/videos?order=asc'));
      return Object.fromEntries(list.data.map((v) => [v.id, v.reelay.queue_position]));
    };
    expect(await positions()).toEqual({ [urgent]: 0, [a]: 1, [b]: 2, [later]: 3 });
    expect((await own.call(key, `/v1/videos/${a}/cancel`, { method: 'POST' })).status).toBe(200);
    expect(await positions()).toEqual({ [urgent]: 0, [a]: null, [b]: 1, [later]: 2 });
  } finally {
    await own.close();
  }
});

describe('cancel', () => {
  let key: string;
  beforeAll(async () => {
    key = await api.key('canceler');
  });

  it('cancels a queued video at once and removes its job', async () => {
    const video = await create(key);
    expect(await queue.getJob(video.id)).toBeDefined();
    const response = await api.call(key, `/v1/videos/${video.id}/cancel`, { method: 'POST' });
    const canceled = await bodyOf(response);
    expect(response.status, JSON.stringify(canceled)).toBe(200);
    expect(canceled).toMatchObject({ id: video.id, status: 'canceled', reelay: { cancel_requested: true } });
    expect(canceled.completed_at).toEqual(expect.any(Number));
    expect(await queue.getJob(video.id)).toBeUndefined();
    expect((await bodyOf(await api.call(key, `/v1/videos/${video.id}`))).status).toBe('canceled');
  });

  it('marks an in-progress video cancel_requested and leaves it to the worker', async () => {
    const video = await create(key);
    await storeOf(api).transition('canceler', video.id, 'start', {
      step: 'poll',
      provider: 'sim',
      progress: 30,
    });
    const response = await api.call(key, `/v1/videos/${video.id}/cancel`, { method: 'POST' });
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      status: 'in_progress',
      progress: 30,
      reelay: { cancel_requested: true, step: 'poll' },
    });
    expect((await storeOf(api).get('canceler', video.id))?.cancelRequested).toBe(true);
    // Asking twice is harmless.
    expect((await api.call(key, `/v1/videos/${video.id}/cancel`, { method: 'POST' })).status).toBe(200);
  });

  it('does not cancel outright a queued video whose submit to a provider is under way', async () => {
    const video = await create(key);
    // What a worker writes just before its create POST (the video is still queued).
    await storeOf(api).patch('canceler', video.id, {
      provider: 'sim',
      submitStartedAt: Date.now(),
      step: 'submit',
    });
    const response = await api.call(key, `/v1/videos/${video.id}/cancel`, { method: 'POST' });
    const body = await bodyOf(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    // Left to the worker: it cancels at the provider once the handle is stored, then marks it canceled.
    expect(body).toMatchObject({ status: 'queued', reelay: { cancel_requested: true, step: 'submit' } });
    expect(await queue.getJob(video.id)).toBeDefined();
  });

  it('never cancels outright a video a worker started meanwhile (it must go through cancel_requested)', async () => {
    const store = storeOf(api);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const video = await create(key);
        // The worker's start lands at some point while the cancel request is being handled.
        const [cancel, start] = await Promise.all([
          api.call(key, `/v1/videos/${video.id}/cancel`, { method: 'POST' }),
          new Promise((r) => setTimeout(r, i % 4)).then(() =>
            store.transition('canceler', video.id, 'start', { step: 'submit', provider: 'sim' }),
          ),
        ]);
        expect(cancel.status).toBe(200);
        return { start: start.applied, record: (await store.get('canceler', video.id))! };
      }),
    );
    for (const { start, record } of outcomes) {
      if (start)
        expect({ status: record.status, cancelRequested: record.cancelRequested }).toEqual({
          status: 'in_progress',
          cancelRequested: true,
        });
      else expect(record.status).toBe('canceled');
    }
  });

  it.each(['complete', 'fail', 'cancel'] as const)(
    'refuses to cancel a video after %s with 409',
    async (transition) => {
      const video = await create(key);
      await storeOf(api).transition('canceler', video.id, transition, {
        step: 'done',
        completedAt: Date.now(),
      });
      const response = await api.call(key, `/v1/videos/${video.id}/cancel`, { method: 'POST' });
      await expectError(response, 409, { code: 'invalid_state' });
    },
  );
});

describe('delete', () => {
  let key: string;
  beforeAll(async () => {
    key = await api.key('deleter');
  });

  it('refuses to delete a queued or in-progress video', async () => {
    const queued = await create(key);
    await expectError(await api.call(key, `/v1/videos/${queued.id}`, { method: 'DELETE' }), 409, {
      code: 'invalid_state',
    });
    const running = await create(key);
    await storeOf(api).transition('deleter', running.id, 'start', { step: 'poll' });
    await expectError(await api.call(key, `/v1/videos/${running.id}`, { method: 'DELETE' }), 409);
    expect((await api.call(key, `/v1/videos/${queued.id}`)).status).toBe(200);
  });

  it('deletes a completed video, its outputs and its uploaded first frame', async () => {
    const form = new FormData();
    form.append('prompt', 'with a frame');
    form.append('size', '1280x720');
    form.append('input_reference', new Blob([png(1280, 720)], { type: 'image/png' }), 'f.png');
    const upload = await api.call(key, '/v1/videos', { method: 'POST', body: form });
    const video = await bodyOf(upload);
    expect(upload.status).toBe(200);
    await completeWithOutputs(api, 'deleter', video.id, [
      { variant: 'video', name: 'video.mp4', data: mp4, contentType: 'video/mp4' },
      { variant: 'thumbnail', name: 'thumbnail.webp', data: webp, contentType: 'image/webp' },
    ]);
    const folder = `tenants/deleter/videos/${video.id}/`;
    const keys = [`${folder}video.mp4`, `${folder}thumbnail.webp`, `${folder}input_reference.png`];
    for (const k of keys) expect(await readObject(api.bucket.s3, api.bucket.bucket, k)).not.toBeNull();

    const response = await api.call(key, `/v1/videos/${video.id}`, { method: 'DELETE' });
    expect(await response.json()).toEqual({ id: video.id, object: 'video.deleted', deleted: true });
    for (const k of keys) expect(await readObject(api.bucket.s3, api.bucket.bucket, k)).toBeNull();
    await expectError(await api.call(key, `/v1/videos/${video.id}`), 404);
    await expectError(await api.call(key, `/v1/videos/${video.id}`, { method: 'DELETE' }), 404);
    const list = await bodyOf<VideoList>(await api.call(key, '/v1/videos?limit=100'));
    expect(list.data.map((v) => v.id)).not.toContain(video.id);
  });

  it('deletes failed and canceled videos', async () => {
    const failed = await create(key);
    await storeOf(api).transition('deleter', failed.id, 'fail', {
      errorCode: 'moderation_blocked',
      errorMessage: 'no',
    });
    const canceled = await create(key);
    expect((await api.call(key, `/v1/videos/${canceled.id}/cancel`, { method: 'POST' })).status).toBe(200);
    for (const video of [failed, canceled]) {
      expect((await api.call(key, `/v1/videos/${video.id}`, { method: 'DELETE' })).status).toBe(200);
      await expectError(await api.call(key, `/v1/videos/${video.id}`), 404);
    }
  });
});

describe('content', () => {
  let key: string;
  let video: Video;
  beforeAll(async () => {
    key = await api.key('viewer');
    video = await create(key);
  });

  it('is a 409 in the error shape until the video is completed', async () => {
    const error = await expectError(await api.call(key, `/v1/videos/${video.id}/content`), 409, {
      code: 'invalid_state',
    });
    expect(error.message).toContain('queued');
  });

  it('is a 409 for a failed video', async () => {
    const failed = await create(key);
    await storeOf(api).transition('viewer', failed.id, 'fail', { errorCode: 'moderation_blocked' });
    await expectError(await api.call(key, `/v1/videos/${failed.id}/content`), 409);
  });

  describe('once completed', () => {
    beforeAll(async () => {
      await completeWithOutputs(api, 'viewer', video.id, [
        { variant: 'video', name: 'video.mp4', data: mp4, contentType: 'video/mp4' },
        { variant: 'thumbnail', name: 'thumbnail.webp', data: webp, contentType: 'image/webp' },
      ]);
    });

    it('streams the video with its content type', async () => {
      const response = await api.call(key, `/v1/videos/${video.id}/content`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('video/mp4');
      expect(response.headers.get('content-length')).toBe(String(mp4.length));
      expect(Buffer.from(await response.arrayBuffer()).equals(mp4)).toBe(true);
    });

    it('answers a Range request with 206 and the bytes asked for', async () => {
      const response = await api.call(key, `/v1/videos/${video.id}/content`, {
        headers: { range: 'bytes=0-99' },
      });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes 0-99/${mp4.length}`);
      expect(Buffer.from(await response.arrayBuffer()).equals(mp4.subarray(0, 100))).toBe(true);
      const tail = await api.call(key, `/v1/videos/${video.id}/content`, {
        headers: { range: 'bytes=990-' },
      });
      expect(tail.status).toBe(206);
      expect(Buffer.from(await tail.arrayBuffer()).equals(mp4.subarray(990))).toBe(true);
    });

    it('answers an unsatisfiable Range with 416', async () => {
      const response = await api.call(key, `/v1/videos/${video.id}/content`, {
        headers: { range: 'bytes=5000-6000' },
      });
      expect(response.status).toBe(416);
    });

    const ranged = (range: string) => api.call(key, `/v1/videos/${video.id}/content`, { headers: { range } });

    it.each([
      ['the last 10 bytes', 'bytes=-10', mp4.length - 10, mp4.length - 1],
      ['the first byte alone', 'bytes=0-0', 0, 0],
      ['a range past the end, cut at it', 'bytes=100-999999', 100, mp4.length - 1],
      ['spaces around the numbers', 'bytes = 5 - 9', 5, 9],
    ])('answers %s (%s) with exactly those bytes', async (_name, range, first, last) => {
      const response = await ranged(range);
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${first}-${last}/${mp4.length}`);
      expect(Buffer.from(await response.arrayBuffer()).equals(mp4.subarray(first, last + 1))).toBe(true);
    });

    // RFC 9110 lets a server ignore a Range it does not read; these reached S3 raw and were 500s (or,
    // on the embedded S3, the wrong bytes).
    it.each([
      'bytes=1.5-',
      'bytes=0-2.5',
      'bytes=-2.5',
      'bytes=abc',
      'bytes=-',
      'bytes=0-1,5-6',
      'items=0-9',
      'bytes=9-3',
    ])('ignores the Range %s and sends the whole video', async (range) => {
      const response = await ranged(range);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(mp4)).toBe(true);
    });

    it('answers an empty suffix range (bytes=-0) with 416', async () => {
      const response = await ranged('bytes=-0');
      expect(response.status).toBe(416);
      expect(response.headers.get('content-range')).toBe(`bytes */${mp4.length}`);
    });

    it('serves variant=thumbnail when present and 404s for a missing variant', async () => {
      const thumbnail = await api.call(key, `/v1/videos/${video.id}/content?variant=thumbnail`);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get('content-type')).toBe('image/webp');
      expect(Buffer.from(await thumbnail.arrayBuffer()).equals(webp)).toBe(true);
      await expectError(await api.call(key, `/v1/videos/${video.id}/content?variant=spritesheet`), 404, {
        param: 'variant',
      });
    });

    it('streams on the gateway flavor too', async () => {
      const response = await api.call(key, `/newapi/v1/videos/${video.id}/content`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await response.arrayBuffer()).equals(mp4)).toBe(true);
    });

    it('redirects to a presigned URL with CONTENT_DELIVERY=redirect (the gateway flavor still streams)', async () => {
      const redirecting = await startTestApi({ CONTENT_DELIVERY: 'redirect', PRESIGN_TTL_S: '120' });
      try {
        const other = await redirecting.key('viewer');
        const created = await bodyOf(await redirecting.call(other, '/v1/videos', json({ prompt: 'p' })));
        await completeWithOutputs(redirecting, 'viewer', created.id, [
          { variant: 'video', name: 'video.mp4', data: mp4, contentType: 'video/mp4' },
        ]);
        const response = await redirecting.call(other, `/v1/videos/${created.id}/content`, {
          redirect: 'manual',
        });
        expect(response.status).toBe(302);
        const location = response.headers.get('location')!;
        expect(location).toContain(redirecting.bucket.bucket);
        expect(location).toMatch(/X-Amz-Expires=120/);
        const download = await fetch(location);
        expect(download.status).toBe(200);
        expect(Buffer.from(await download.arrayBuffer()).equals(mp4)).toBe(true);
        // Following the redirect, as `curl -L` and the SDK do, gives the same bytes.
        const followed = await redirecting.call(other, `/v1/videos/${created.id}/content`);
        expect(Buffer.from(await followed.arrayBuffer()).equals(mp4)).toBe(true);
        const gateway = await redirecting.call(other, `/newapi/v1/videos/${created.id}/content`, {
          redirect: 'manual',
        });
        expect(gateway.status).toBe(200);
        expect(Buffer.from(await gateway.arrayBuffer()).equals(mp4)).toBe(true);
      } finally {
        await redirecting.close();
      }
    });
  });
});
