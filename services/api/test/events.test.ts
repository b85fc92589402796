import { get, type IncomingMessage } from 'node:http';
import { Keys } from '@reelay/jobs';
import { waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectError, sseReader, storeOf } from './fixtures.ts';
import { json, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
let key: string;
beforeAll(async () => {
  api = await startTestApi();
  key = await api.key('watcher');
});
afterAll(() => api?.close());

const create = async (target = api, k = key) =>
  (await (await target.call(k, '/v1/videos', json({ prompt: 'p' }))).json()) as { id: string };

/** Subscribers on a video's event channel in Redis (the api's one pub/sub connection). */
const subscribers = async (target: TestApi, id: string) => {
  const channel = new Keys(target.redis.prefix).events('watcher', id);
  const [, count] = (await target.redis.redis.pubsub('NUMSUB', channel)) as [string, number];
  return count;
};

it('streams the current state at once, every change, and ends by itself when the video completes', async () => {
  const video = await create();
  const response = await api.call(key, `/v1/videos/${video.id}/events`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(response.headers.get('cache-control')).toContain('no-cache');
  const events = sseReader(response);

  const first = (await events.next())!;
  expect(first.event).toBe('queued');
  expect(JSON.parse(first.data)).toMatchObject({
    id: video.id,
    object: 'video',
    status: 'queued',
    progress: 0,
  });

  const store = storeOf(api);
  await store.transition('watcher', video.id, 'start', { step: 'submit', provider: 'sim', progress: 10 });
  const started = (await events.next())!;
  expect(started.event).toBe('in_progress');
  expect(JSON.parse(started.data)).toMatchObject({
    status: 'in_progress',
    progress: 10,
    reelay: { step: 'submit' },
  });

  await store.transition('watcher', video.id, 'progress', { step: 'poll', progress: 50 });
  const halfway = (await events.next())!;
  expect(JSON.parse(halfway.data)).toMatchObject({
    status: 'in_progress',
    progress: 50,
    reelay: { step: 'poll' },
  });

  await store.transition('watcher', video.id, 'complete', {
    step: 'done',
    progress: 100,
    completedAt: Date.now(),
  });
  const done = (await events.next())!;
  expect(done.event).toBe('completed');
  expect(JSON.parse(done.data)).toMatchObject({ status: 'completed', progress: 100 });
  expect(await events.next()).toBeNull();
  expect([first, started, halfway, done].map((e) => e.id)).toEqual(['1', '2', '3', '4']);
  await waitFor(async () => (await subscribers(api, video.id)) === 0, { what: 'the stream to unsubscribe' });
});

it('never sends an older state after a newer one, even when a change races the first event', async () => {
  const store = storeOf(api);
  const runs = Array.from({ length: 40 }, async (_, i) => {
    const video = await create();
    const events = sseReader(await api.call(key, `/v1/videos/${video.id}/events`));
    // Change the video as soon as the stream has subscribed, while it may still be sending the first event.
    await waitFor(async () => (await subscribers(api, video.id)) === 1, { intervalMs: 1 });
    if (i % 3) await new Promise((r) => (i % 3 === 1 ? setImmediate(r) : setTimeout(r, 1)));
    await store.transition('watcher', video.id, 'start', { step: 'submit', progress: 5 });
    await store.transition('watcher', video.id, 'complete', { step: 'done', progress: 100 });
    const statuses: string[] = [];
    for (let event = await events.next(); event; event = await events.next()) statuses.push(event.event!);
    return statuses;
  });
  for (const statuses of await Promise.all(runs)) {
    expect(statuses.at(-1)).toBe('completed');
    const order = ['queued', 'in_progress', 'completed'];
    const ranks = statuses.map((s) => order.indexOf(s));
    expect(ranks, statuses.join(' > ')).toEqual([...ranks].sort());
  }
});

it('sends one event for an already finished video and ends', async () => {
  const video = await create();
  await storeOf(api).transition('watcher', video.id, 'fail', {
    errorCode: 'moderation_blocked',
    errorMessage: 'blocked',
  });
  const events = sseReader(await api.call(key, `/v1/videos/${video.id}/events`));
  const only = (await events.next())!;
  expect(only.event).toBe('failed');
  expect(JSON.parse(only.data)).toMatchObject({
    status: 'failed',
    error: { code: 'moderation_blocked', message: 'blocked' },
  });
  expect(await events.next()).toBeNull();
});

it('ends the stream when the video is canceled through the api', async () => {
  const video = await create();
  const events = sseReader(await api.call(key, `/v1/videos/${video.id}/events`));
  expect((await events.next())!.event).toBe('queued');
  expect((await api.call(key, `/v1/videos/${video.id}/cancel`, { method: 'POST' })).status).toBe(200);
  expect((await events.next())!.event).toBe('canceled');
  expect(await events.next()).toBeNull();
});

it('streams in the gateway shape on /newapi/v1', async () => {
  const video = await create();
  const events = sseReader(await api.call(key, `/newapi/v1/videos/${video.id}/events`));
  expect(JSON.parse((await events.next())!.data)).toMatchObject({ status: 'QUEUED', progress: '0%' });
  await storeOf(api).transition('watcher', video.id, 'start', { progress: 42 });
  expect(JSON.parse((await events.next())!.data)).toMatchObject({ status: 'IN_PROGRESS', progress: '42%' });
  await storeOf(api).transition('watcher', video.id, 'cancel', { step: 'done' });
  expect(JSON.parse((await events.next())!.data)).toMatchObject({
    status: 'FAILURE',
    fail_reason: 'canceled',
  });
  expect(await events.next()).toBeNull();
});

it('answers an unknown video with a 404 error, not a stream', async () => {
  const response = await api.call(key, `/v1/videos/video_${'f'.repeat(32)}/events`);
  await expectError(response, 404, { code: 'not_found' });
});

it('lets go of a stream whose client disconnects, and the api still closes', async () => {
  const own = await startTestApi();
  const ownKey = await own.key('watcher');
  const video = await create(own, ownKey);
  // node:http rather than fetch: a plain socket that the test closes, and nothing else opened.
  const request = get(`${own.url}/v1/videos/${video.id}/events`, {
    headers: { authorization: `Bearer ${ownKey}` },
  });
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve).once('error', reject);
  });
  expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
  await new Promise((resolve) => response.once('data', resolve));
  expect(await subscribers(own, video.id)).toBe(1);
  request.destroy();
  await waitFor(async () => (await subscribers(own, video.id)) === 0, {
    timeoutMs: 5_000,
    what: 'the api to unsubscribe the disconnected stream',
  });
  const started = Date.now();
  await own.close();
  expect(Date.now() - started).toBeLessThan(2_000);
});

it('lets go of streams whose client left before the stream was set up', async () => {
  const own = await startTestApi();
  const ownKey = await own.key('watcher');
  const videos = await Promise.all(Array.from({ length: 24 }, () => create(own, ownKey)));
  // Each client sends its request and hangs up at once, or a moment later: while the api is still
  // authenticating, loading the video or subscribing.
  await Promise.all(
    videos.map(
      (video, i) =>
        new Promise<void>((resolve) => {
          const request = get(`${own.url}/v1/videos/${video.id}/events`, {
            headers: { authorization: `Bearer ${ownKey}` },
          });
          request.on('error', () => {});
          request.on('finish', () => setTimeout(() => request.destroy(), i / 4));
          request.on('close', resolve);
        }),
    ),
  );
  try {
    // The api may still be handling requests whose clients are gone: give it time to get to them (a
    // leaked subscription stays, however long one waits), then every channel must be let go of.
    await new Promise((r) => setTimeout(r, 300));
    await waitFor(
      async () => (await Promise.all(videos.map((v) => subscribers(own, v.id)))).every((n) => n === 0),
      { timeoutMs: 3_000, what: 'every abandoned stream to unsubscribe' },
    );
  } finally {
    await own.close();
  }
});

it('ends open streams when the api closes instead of waiting for them', async () => {
  const own = await startTestApi();
  const ownKey = await own.key('watcher');
  const video = await create(own, ownKey);
  const events = sseReader(await own.call(ownKey, `/v1/videos/${video.id}/events`));
  expect((await events.next())!.event).toBe('queued');
  const started = Date.now();
  await own.close();
  expect(Date.now() - started).toBeLessThan(2_000);
  expect(await events.next(1_000)).toBeNull();
});

it('answers HEAD with the stream headers and ends at once (no stream left open)', async () => {
  const video = await create();
  const response = await api.call(key, `/v1/videos/${video.id}/events`, {
    method: 'HEAD',
    signal: AbortSignal.timeout(5_000),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(await response.text()).toBe('');
  expect(await subscribers(api, video.id)).toBe(0);
});

it('closes the connection when the stream ends if the client asked for Connection: close', async () => {
  const video = await create();
  const request = get(`${api.url}/v1/videos/${video.id}/events`, {
    headers: { authorization: `Bearer ${key}`, connection: 'close' },
  });
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve).once('error', reject);
  });
  expect(response.headers.connection).toBe('close');
  await new Promise((resolve) => response.once('data', resolve));
  const closed = new Promise<void>((resolve) => request.socket!.once('close', () => resolve()));
  response.resume();
  await storeOf(api).transition('watcher', video.id, 'cancel', {});
  // Closed by the server right after the last event, not held for the keep-alive timeout (65 s).
  await closed;
});
