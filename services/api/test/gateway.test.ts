import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bodyOf, completeWithOutputs, expectError, storeOf, type VideoList } from './fixtures.ts';
import { json, startTestApi, type TestApi } from './harness.ts';

// The /newapi/v1 flavor: the same API spelled the way new-api gateways answer, which shell clients such
// as the seed's sample parse with grep and sed.

let api: TestApi;
let key: string;
beforeAll(async () => {
  api = await startTestApi();
  key = await api.key('shell');
});
afterAll(() => api?.close());

const gateway = (path: string, init?: RequestInit) => api.call(key, `/newapi/v1${path}`, init);

/** What the seed's sample client extracts: the first "status" and "progress", and the *last* "id". */
function asShellSeesIt(text: string) {
  const flat = text.replaceAll('\n', '');
  return {
    id: /.*"id"\s*:\s*"([^"]*)"/.exec(flat)?.[1],
    status: /"status":"([^"]*)"/.exec(flat)?.[1],
    progress: /"progress":"([^"]*)"/.exec(flat)?.[1],
  };
}

async function createVideo(body: Record<string, unknown> = {}): Promise<{ id: string; text: string }> {
  const response = await gateway('/videos', json({ prompt: 'p', ...body }));
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return { id: JSON.parse(text).id, text };
}

it('answers a create with QUEUED, "0%", task_id and the id as the last "id" key', async () => {
  const { id, text } = await createVideo({ metadata: { id: 'not-the-video', status: 'x', progress: '7%' } });
  expect(asShellSeesIt(text)).toEqual({ id, status: 'QUEUED', progress: '0%' });
  const body = JSON.parse(text);
  expect(id).toMatch(/^video_[0-9a-f]{32}$/);
  expect(body).toMatchObject({ task_id: id, status: 'QUEUED', progress: '0%', fail_reason: null });
  expect(Object.keys(body).at(-1)).toBe('id');
  expect(body.reelay.metadata).toEqual({ id: 'not-the-video', status: 'x', progress: '7%' });
});

it('spells in-progress, completed and failed videos the gateway way', async () => {
  const store = storeOf(api);
  const { id } = await createVideo();
  await store.transition('shell', id, 'start', { step: 'poll', progress: 37 });
  expect(asShellSeesIt(await (await gateway(`/videos/${id}`)).text())).toMatchObject({
    status: 'IN_PROGRESS',
    progress: '37%',
  });

  // A provider saying 100 before the output is stored is not done: shell clients stop on "100%".
  await store.transition('shell', id, 'progress', { progress: 100 });
  expect(asShellSeesIt(await (await gateway(`/videos/${id}`)).text()).progress).toBe('99%');

  await completeWithOutputs(api, 'shell', id, [
    { variant: 'video', name: 'video.mp4', data: Buffer.from('mp4'), contentType: 'video/mp4' },
  ]);
  expect(asShellSeesIt(await (await gateway(`/videos/${id}`)).text())).toEqual({
    id,
    status: 'SUCCESS',
    progress: '100%',
  });

  const failed = await createVideo();
  await store.transition('shell', failed.id, 'start', { progress: 20 });
  await store.transition('shell', failed.id, 'fail', {
    errorCode: 'moderation_blocked',
    errorMessage: 'The prompt was blocked by moderation.',
  });
  const body = await (await gateway(`/videos/${failed.id}`)).json();
  expect(body).toMatchObject({
    status: 'FAILURE',
    progress: '20%',
    fail_reason: 'The prompt was blocked by moderation.',
    error: { code: 'moderation_blocked' },
  });
});

it('answers a canceled video as FAILURE with fail_reason canceled', async () => {
  const { id } = await createVideo();
  const canceled = await gateway(`/videos/${id}/cancel`, { method: 'POST' });
  const body = await canceled.json();
  expect(canceled.status).toBe(200);
  expect(body).toMatchObject({ id, task_id: id, status: 'FAILURE', fail_reason: 'canceled' });
  expect((await bodyOf(await api.call(key, `/v1/videos/${id}`))).status).toBe('canceled');
});

it('lists in the gateway shape, and keeps errors in the OpenAI error shape', async () => {
  const { id } = await createVideo();
  const list = await bodyOf<VideoList>(await gateway('/videos?limit=1'));
  expect(list).toMatchObject({ object: 'list', first_id: id, has_more: true });
  expect(list.data[0]).toMatchObject({ id, task_id: id, status: 'QUEUED', progress: '0%' });
  await expectError(await gateway('/videos', json({ prompt: '' })), 400, { param: 'prompt' });
  await expectError(await gateway(`/videos/video_${'0'.repeat(32)}`), 404);
});

it('keeps /v1 in the OpenAI shape for the same video', async () => {
  const { id } = await createVideo();
  const body = await (await api.call(key, `/v1/videos/${id}`)).json();
  expect(body).toMatchObject({ id, status: 'queued', progress: 0 });
  expect(body).not.toHaveProperty('task_id');
  expect(body).not.toHaveProperty('fail_reason');
});

it("runs the seed's sample client unchanged against /newapi", async () => {
  const out = mkdtempSync(join(tmpdir(), 'reelay-sample-'));
  try {
    const mp4 = Buffer.from('not really an mp4, but the bytes the client must save');
    const client = promisify(execFile)('bash', [resolve(REPO_ROOT, '../shared/seed/sample-client.sh')], {
      env: {
        ...process.env,
        BASE: `${api.url}/newapi`,
        KEY: key,
        POLL_S: '0.2',
        MAX_POLLS: '50',
        PROMPT: 'a sample client video',
        OUTDIR: out,
      },
      timeout: 20_000,
    });
    // Play the worker: once the client's video exists, complete it with a stored output.
    const video = await waitFor(
      async () => {
        const list = await bodyOf<VideoList>(await api.call(key, '/v1/videos?limit=100'));
        return list.data.find((v) => v.prompt === 'a sample client video');
      },
      { what: "the sample client's video" },
    );
    await storeOf(api).transition('shell', video.id, 'start', { progress: 45 });
    await new Promise((r) => setTimeout(r, 300));
    await completeWithOutputs(api, 'shell', video.id, [
      { variant: 'video', name: 'video.mp4', data: mp4, contentType: 'video/mp4' },
    ]);
    const { stdout } = await client;
    expect(stdout).toContain(`Video ID: ${video.id}`);
    expect(stdout).toContain('Video generation completed!');
    expect(readFileSync(join(out, `${video.id}.mp4`)).equals(mp4)).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
