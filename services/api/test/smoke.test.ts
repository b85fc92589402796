import type { VideoObject } from '@reelay/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

it('creates, retrieves and lists a video', async () => {
  const key = await api.key('acme');
  const created = await api.call(key, '/v1/videos', json({ prompt: 'a cat', seconds: '8' }));
  const body = (await created.json()) as VideoObject;
  expect(created.status, JSON.stringify(body)).toBe(200);
  expect(body).toMatchObject({
    object: 'video',
    status: 'queued',
    progress: 0,
    seconds: '8',
    size: '720x1280',
    model: 'sora-2',
  });
  const got = (await (await api.call(key, `/v1/videos/${body.id}`)).json()) as VideoObject;
  expect(got.id).toBe(body.id);
  const list = (await (await api.call(key, '/v1/videos')).json()) as { data: VideoObject[] };
  expect(list.data.map((v) => v.id)).toEqual([body.id]);
  const gateway = await (await api.call(key, `/newapi/v1/videos/${body.id}`)).text();
  expect(gateway).toMatch(/"status":"QUEUED","progress":"0%"/);
});
