import { createHash } from 'node:crypto';
import { VideoStore } from '@reelay/jobs';
import { ffprobe, waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PipelineStack, SUBMIT_SETTLE_MS, startPipelineStack } from './stack.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('render pipeline against the simulator', () => {
  let stack: PipelineStack;
  beforeAll(async () => {
    stack = await startPipelineStack();
  });
  afterAll(() => stack?.close());

  it('takes a job from create to a playable MP4 in S3, served by the content endpoint', async () => {
    const { id } = await stack.create({ prompt: 'a red fox in the snow', seconds: '4', size: '1280x720' });
    const video = await stack.settle(id);
    expect(video.status, JSON.stringify(video)).toBe('completed');
    expect(video.progress).toBe(100);
    expect(video.reelay).toMatchObject({ provider: 'sim', step: 'done', attempts: 1 });
    const output = video.reelay.outputs.find((o) => o.variant === 'video')!;
    expect(output.key).toBe(`tenants/acme/videos/${id}/video.mp4`);

    // The stored bytes are exactly what the provider rendered.
    const stats = await stack.sim.stats();
    const job = stats.jobs.find((j) => j.id === video.reelay.provider_job_id)!;
    expect(output.sha256).toBe(job.sha256);
    expect(output.bytes).toBe(job.bytes);
    expect(stats.jobs.filter((j) => j.prompt === 'a red fox in the snow')).toHaveLength(1);

    const content = await stack.call(`/v1/videos/${id}/content`);
    expect(content.status).toBe(200);
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(sha256(bytes)).toBe(output.sha256);
    const probe = await ffprobe(bytes);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    expect(probe.streams.some((s) => s.codec_type === 'audio')).toBe(true);
    expect(video.reelay.outputs.map((o) => o.variant).sort()).toEqual(['spritesheet', 'thumbnail', 'video']);
  });

  it('fails a moderated prompt with a stable code, never retrying the same input', async () => {
    const { id } = await stack.create({ prompt: 'something [blocked] here' });
    const video = await stack.settle(id);
    expect(video.status).toBe('failed');
    expect(video.error).toMatchObject({ code: 'moderation_blocked' });
    const stats = await stack.sim.stats({ hash: false });
    expect(stats.jobs.filter((j) => j.prompt === 'something [blocked] here')).toHaveLength(1);
  });

  it('rides out provider 5xx on polls and a truncated download', async () => {
    stack.sim.addFaults(
      { op: 'retrieve', kind: '503', count: 2 },
      { op: 'content', kind: 'truncate', count: 1 },
    );
    const { id } = await stack.create({ prompt: 'a lighthouse at dusk' });
    const video = await stack.settle(id);
    expect(video.status, JSON.stringify(video.error)).toBe('completed');
    const stats = await stack.sim.stats();
    const job = stats.jobs.find((j) => j.id === video.reelay.provider_job_id)!;
    expect(video.reelay.outputs.find((o) => o.variant === 'video')?.sha256).toBe(job.sha256);
  });

  it('reconciles a create whose answer was lost instead of paying twice', async () => {
    stack.sim.addFaults({ op: 'create', kind: '500', count: 1, after: true });
    const { id } = await stack.create({ prompt: 'a paper boat on a river' });
    const video = await stack.settle(id);
    expect(video.status, JSON.stringify(video.error)).toBe('completed');
    const stats = await stack.sim.stats({ hash: false });
    expect(stats.jobs.filter((j) => j.prompt === 'a paper boat on a river')).toHaveLength(1);
    // Looked for only once SUBMIT_SETTLE_MS had passed since the POST: before that the POST may still be
    // in flight somewhere, and a job not listed yet is no proof that none was made.
    const record = (await new VideoStore(stack.redis.redis, stack.redis.prefix).get('acme', id))!;
    expect(record.submittedAt! - record.submitStartedAt!).toBeGreaterThanOrEqual(SUBMIT_SETTLE_MS);
  });

  it('finds a lost create behind more than a page of newer jobs on a shared account', async () => {
    stack.sim.addFaults({ op: 'create', kind: '500', count: 1, after: true });
    const prompt = 'a heron behind a crowd';
    const { id } = await stack.create({ prompt });
    const store = new VideoStore(stack.redis.redis, stack.redis.prefix);
    await waitFor(async () => (await store.get('acme', id))?.submitStartedAt != null, {
      intervalMs: 5,
      what: 'the lost create',
    });
    // Other traffic on the same account during the settle time: 110 newer jobs push ours off page one.
    for (let i = 0; i < 110; ) {
      const created = await fetch(`${stack.sim.url}/v1/videos`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-sim', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sora-2', prompt: `other traffic ${i}`, seconds: '4' }),
      });
      // The account's own limits apply to this traffic too: wait as told and try again.
      if (created.status === 429) {
        await new Promise((r) => setTimeout(r, 10 + Number(created.headers.get('retry-after-ms') ?? 0)));
        continue;
      }
      expect(created.status).toBe(200);
      i++;
    }
    // Only meaningful if the worker has not looked yet (it waits SUBMIT_SETTLE_MS after the POST).
    const pending = (await store.get('acme', id))!;
    expect(pending.providerJobId, 'the worker looked before the other jobs were made').toBeNull();
    const video = await stack.settle(id);
    expect(video.status, JSON.stringify(video.error)).toBe('completed');
    const stats = await stack.sim.stats({ hash: false });
    expect(stats.jobs.filter((j) => j.prompt === prompt)).toHaveLength(1);
  });

  it('finds and keeps the provider job of a lost create answer when a cancel arrives before the retry', async () => {
    stack.sim.addFaults({ op: 'create', kind: '500', count: 1, after: true });
    const prompt = 'a canceled kite #sim(render_ms=3000)';
    const { id } = await stack.create({ prompt });
    const store = new VideoStore(stack.redis.redis, stack.redis.prefix);
    // The create reached the provider, its answer was lost: fenced, no handle yet, still queued.
    await waitFor(
      async () => {
        const r = await store.get('acme', id);
        if (!r?.submitStartedAt || r.providerJobId) return false;
        return (await stack.sim.stats({ hash: false })).jobs.some((j) => j.prompt === prompt);
      },
      { timeoutMs: 10_000, intervalMs: 5, what: 'the lost create answer' },
    );
    const answer = await stack.call(`/v1/videos/${id}/cancel`, { method: 'POST' });
    expect(answer.status).toBe(200);
    const video = await stack.settle(id);
    expect(video.status).toBe('canceled');
    // The job created at the provider was found (reconciled) before the cancel, not forgotten.
    const created = (await stack.sim.stats({ hash: false })).jobs.filter((j) => j.prompt === prompt);
    expect(created).toHaveLength(1);
    expect(video.reelay.provider_job_id).toBe(created[0]!.id);
  });

  it('cancels a job in flight', async () => {
    const { id } = await stack.create({ prompt: 'a slow render #sim(render_ms=5000)' });
    await stack.settle(id, 1).catch(() => undefined);
    const started = Date.now();
    while (Date.now() - started < 5_000) {
      const video = (await (await stack.call(`/v1/videos/${id}`)).json()) as { status: string };
      if (video.status === 'in_progress') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const canceled = await stack.call(`/v1/videos/${id}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    const video = await stack.settle(id);
    expect(video.status).toBe('canceled');
  });
});
