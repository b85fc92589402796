import { uniqueName } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import type { RenderRequest } from '../adapter.ts';
import { createAdapter } from '../registry.ts';
import {
  adapterFor,
  drain,
  type Flavor,
  PREFIX,
  pollToEnd,
  rejection,
  sha256,
  simCounters,
  simJob,
  useSimulator,
} from './testing.ts';

// The adapter against the simulator over real HTTP, in both wire flavors: OpenAI's (integer progress,
// lower-case statuses, `video_` ids) and the new-api gateways' ("NN%" progress, SUBMITTED/QUEUED/
// IN_PROGRESS/SUCCESS/FAILURE, `task_` ids, `fail_reason`).

const sim = await useSimulator();

const request = (prompt: string, extra: Partial<RenderRequest> = {}): RenderRequest => ({
  model: 'sora-2',
  prompt,
  seconds: '4',
  size: '720x1280',
  clientRef: 'vid_test',
  ...extra,
});

describe.each<Flavor>(['openai', 'newapi'])('%s flavor', (flavor) => {
  it('submits, polls through queued and running to succeeded, and streams the exact video', async () => {
    const key = uniqueName(flavor);
    const adapter = adapterFor(sim, flavor, key);
    const prompt = 'A calico cat playing a piano #sim(queue_ms=200,render_ms=1000)';

    const submitted = await adapter.submit(request(prompt));
    expect(submitted.handle.id).toMatch(flavor === 'openai' ? /^video_/ : /^task_/);
    expect(submitted.initial?.state).toBe('queued');
    expect(submitted.hints).toMatchObject({ limit: 600, remaining: expect.any(Number) });

    const seen = await pollToEnd(adapter, submitted.handle);
    const states = seen.map((result) => result.state);
    expect(states).toContain('running');
    expect(states.at(-1)).toBe('succeeded');
    // Progress comes as 42 (openai) or "42%" (newapi): parsed, it rises and stays below 100 until done.
    const progress = seen.filter((r) => r.state === 'running').map((r) => r.progress);
    expect(progress.every((p) => p !== undefined && p >= 0 && p < 100)).toBe(true);
    expect(progress.some((p) => p !== undefined && p > 0)).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(seen[0]?.nextPollMs).toBeGreaterThan(0);
    expect(seen[0]?.hints?.limit).toBe(600);

    const done = seen.at(-1)!;
    expect(done.progress).toBe(100);
    expect(done.error).toBeUndefined();
    const video = done.results?.video;
    expect(video).toMatchObject({ kind: 'adapter', variant: 'video', expiresAt: expect.any(Number) });
    expect(video?.expiresAt).toBeGreaterThan(Date.now());

    const stream = await adapter.open(submitted.handle, video!);
    const { bytes, error } = await drain(stream.body);
    expect(error).toBeUndefined();
    const job = await simJob(sim, submitted.handle.id);
    expect(job.status).toBe('completed');
    // The prompt reached the provider untouched: this wire has no metadata, so no tag was added.
    expect(job.prompt).toBe(prompt);
    expect(stream.contentType).toBe('video/mp4');
    expect(stream.contentLength).toBe(job.bytes);
    expect(bytes.length).toBe(job.bytes);
    expect(sha256(bytes)).toBe(job.sha256);
    // One create, and no request was ever repeated behind the caller's back.
    expect((await simCounters(sim, key))?.creates).toBe(1);
  });

  it('reports a moderation failure as content_rejected with its code', async () => {
    const adapter = adapterFor(sim, flavor, uniqueName(flavor));
    const { handle } = await adapter.submit(request('a [blocked] scene #sim(queue_ms=0,render_ms=100)'));
    const done = (await pollToEnd(adapter, handle)).at(-1)!;
    expect(done.state).toBe('failed');
    expect(done.results).toBeUndefined();
    expect(done.error).toEqual({
      kind: 'content_rejected',
      code: 'moderation_blocked',
      message: expect.stringMatching(/moderation/),
    });
  });

  it('reports a provider failure as terminal with the provider code', async () => {
    const adapter = adapterFor(sim, flavor, uniqueName(flavor));
    const { handle } = await adapter.submit(request('a clip #sim(queue_ms=0,render_ms=100,fail=error)'));
    const done = (await pollToEnd(adapter, handle)).at(-1)!;
    expect(done.state).toBe('failed');
    expect(done.error).toMatchObject({ kind: 'terminal', code: 'internal_error' });
  });

  it('lists newest first with the echoed fields, page by page', async () => {
    const adapter = adapterFor(sim, flavor, uniqueName(flavor));
    const prompts = ['first clip', 'second clip', 'third clip'].map((p) => `${p} #sim(queue_ms=5000)`);
    const ids: string[] = [];
    for (const prompt of prompts)
      ids.push((await adapter.submit(request(prompt, { seconds: '8' }))).handle.id);

    const first = await adapter.list({ limit: 2 });
    expect(first.hasMore).toBe(true);
    expect(first.hints?.limit).toBe(600);
    expect(first.jobs.map((job) => job.handle.id)).toEqual([ids[2], ids[1]]);
    expect(first.jobs[0]).toMatchObject({
      state: 'queued',
      model: 'sora-2',
      prompt: prompts[2],
      size: '720x1280',
      seconds: '8',
    });
    expect(Math.abs(first.jobs[0]!.createdAt! - Date.now())).toBeLessThan(60_000);

    const rest = await adapter.list({ limit: 2, after: first.jobs.at(-1)!.handle.id });
    expect(rest.hasMore).toBe(false);
    expect(rest.jobs.map((job) => job.handle.id)).toEqual([ids[0]]);
  });

  it('answers 404 on an unknown job as terminal job_not_found', async () => {
    const adapter = adapterFor(sim, flavor, uniqueName(flavor));
    const error = await rejection(adapter.poll({ id: 'video_doesnotexist' }));
    expect(error).toMatchObject({ kind: 'terminal', code: 'job_not_found', status: 404 });
  });
});

describe('create fields', () => {
  it('sends input_reference as an upload, an image URL or a file id, and the prompt as given', async () => {
    const key = uniqueName('ref');
    const adapter = adapterFor(sim, 'openai', key);
    // A first frame of exactly the requested size: the thumbnail of a finished 720x1280 job.
    const source = await adapter.submit(request('source #sim(queue_ms=0,render_ms=0)'));
    const done = (await pollToEnd(adapter, source.handle)).at(-1)!;
    const thumbnail = await adapter.open(source.handle, done.results!.thumbnail!);
    expect(thumbnail.contentType).toBe('image/webp');
    const image = (await drain(thumbnail.body)).bytes;

    const uploaded = await adapter.submit(
      request('from a file', {
        inputReference: { data: image, contentType: 'image/webp', filename: 'first.webp' },
      }),
    );
    const byUrl = await adapter.submit(
      request('from a url', { inputReference: { url: 'https://example.com/first.png' } }),
    );
    const byFile = await adapter.submit(
      request('from a file id', { inputReference: { fileId: 'file_abc' } }),
    );
    expect((await simJob(sim, uploaded.handle.id)).inputReference).toBe('file');
    expect((await simJob(sim, byUrl.handle.id)).inputReference).toBe('image_url');
    expect((await simJob(sim, byFile.handle.id)).inputReference).toBe('file_id');
    expect((await simJob(sim, byFile.handle.id)).prompt).toBe('from a file id');
  });

  it('rejects what the provider refuses as terminal, naming a refused model model_unavailable', async () => {
    const adapter = adapterFor(sim, 'openai', uniqueName('bad'));
    const badSize = await rejection(adapter.submit(request('p', { size: '1920x1080' })));
    expect(badSize).toMatchObject({ kind: 'terminal', code: 'invalid_request', status: 400 });
    const badModel = await rejection(adapter.submit(request('p', { model: 'sora-9' })));
    expect(badModel).toMatchObject({ kind: 'terminal', code: 'model_unavailable', status: 400 });
  });
});

describe('cancel and the factory', () => {
  it('cancel sends nothing: the wire has no cancel', async () => {
    const key = uniqueName('cancel');
    const adapter = adapterFor(sim, 'openai', key);
    const { handle } = await adapter.submit(request('p #sim(queue_ms=5000)'));
    const before = (await simCounters(sim, key))?.requests;
    await expect(adapter.cancel(handle)).resolves.toBeUndefined();
    expect((await simCounters(sim, key))?.requests).toBe(before);
    expect(adapter.supports).toEqual({ cancel: false, list: true, thumbnail: true, spritesheet: true });
  });

  it('createAdapter picks the adapter by the account provider', async () => {
    const adapter = createAdapter({
      provider: 'openai-videos',
      baseUrl: `${sim.url}${PREFIX.newapi}/`,
      apiKey: uniqueName('factory'),
    });
    expect(adapter.kind).toBe('openai-videos');
    // The trailing slash of the base URL is tolerated.
    const { handle } = await adapter.submit(request('p'));
    expect(handle.id).toMatch(/^task_/);
  });
});
