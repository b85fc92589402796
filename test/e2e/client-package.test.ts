import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReelayClient, ReelayError, type VideoObject } from '@reelay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

// @reelay/client against the running stack (`./reelay up`, simulator sped up so a render takes about a
// second; `#sim(...)` directives pin the renders a test needs slow, long or failing).
describe('@reelay/client on the running stack', () => {
  let stack: Stack;
  let reelay: ReelayClient;
  let completed: VideoObject;
  beforeAll(async () => {
    stack = await startStack({ SIM_TIME_FACTOR: '0.01', POLL_COLD_START_MS: '200', POLL_MIN_MS: '50' });
    reelay = new ReelayClient({ baseUrl: stack.apiUrl, apiKey: stack.apiKey });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('creates a video, waits for it with progress, and downloads the stored MP4 as a stream', async () => {
    const created = await reelay.videos.create({
      prompt: 'A calico cat playing a piano #sim(render_ms=2500)',
      metadata: { order: '42' },
    });
    expect(created).toMatchObject({
      object: 'video',
      status: 'queued',
      model: 'sora-2',
      seconds: '4',
      size: '720x1280',
      reelay: { metadata: { order: '42' }, priority: 'normal' },
    });

    const seen: VideoObject[] = [];
    completed = await reelay.videos.wait(created.id, {
      intervalMs: 100,
      timeoutMs: 30_000,
      onProgress: (video) => seen.push(video),
    });
    expect(completed.status, JSON.stringify(completed)).toBe('completed');
    const progress = seen.map((v) => v.progress);
    expect(progress, JSON.stringify(seen.map((v) => [v.status, v.progress]))).toEqual(
      [...progress].sort((a, b) => a - b),
    );
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(100);
    expect(
      progress.some((p) => p > 0 && p < 100),
      JSON.stringify(progress),
    ).toBe(true);
    expect(seen.map((v) => v.status)).toContain('in_progress');
    expect(seen.at(-1)).toEqual(completed);

    const stored = completed.reelay.outputs.find((o) => o.variant === 'video')!;
    expect(stored).toMatchObject({ content_type: 'video/mp4' });
    const content = await reelay.videos.download(completed.id);
    expect(content.contentType).toBe('video/mp4');
    expect(content.contentLength).toBe(stored.bytes);
    const chunks: Uint8Array[] = [];
    for await (const chunk of content.body) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(bytes.length).toBe(stored.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.sha256);

    const dir = mkdtempSync(join(tmpdir(), 'reelay-client-'));
    try {
      const thumbnail = completed.reelay.outputs.find((o) => o.variant === 'thumbnail')!;
      const saved = await reelay.videos.downloadToFile(completed.id, join(dir, 'thumb.webp'), {
        variant: 'thumbnail',
      });
      expect(saved).toMatchObject({
        bytes: thumbnail.bytes,
        sha256: thumbnail.sha256,
        contentType: thumbnail.content_type,
      });
      expect(readFileSync(saved.path).length).toBe(thumbnail.bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists a page and iterates over every page', async () => {
    const page = await reelay.videos.list({ limit: 100 });
    expect(page.object).toBe('list');
    expect(page.data.map((v) => v.id)).toContain(completed.id);

    const second = await reelay.videos.create({ prompt: 'A second video, to have two pages' });
    const ids: string[] = [];
    for await (const video of reelay.videos.iterate({ limit: 1, order: 'asc' })) ids.push(video.id);
    expect(ids.indexOf(completed.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(second.id)).toBeGreaterThan(ids.indexOf(completed.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('replays a create sent twice with one Idempotency-Key, and refuses the key for another body', async () => {
    const idempotencyKey = `order-${randomUUID()}`;
    const body = { prompt: 'An idempotent lighthouse #sim(queue_ms=60000)', seconds: '8' as const };
    const first = await reelay.videos.create(body, { idempotencyKey });
    const again = await reelay.videos.create(body, { idempotencyKey });
    expect(again.id).toBe(first.id);
    const other = await reelay.videos
      .create({ ...body, prompt: 'Another lighthouse' }, { idempotencyKey })
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ReelayError);
    expect(other).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    // Without a key, each create is its own job.
    const fresh = await reelay.videos.create(body);
    expect(fresh.id).not.toBe(first.id);
    await Promise.all([reelay.videos.cancel(first.id), reelay.videos.cancel(fresh.id)]);
  });

  it('cancels a slow job: wait ends canceled, and its content is a 409', async () => {
    const video = await reelay.videos.create({ prompt: 'A very slow sunrise #sim(queue_ms=60000)' });
    const answer = await reelay.videos.cancel(video.id);
    // Queued at Reelay: canceled at once; already at the provider: cancel requested, canceled shortly.
    expect(answer.status === 'canceled' || answer.reelay.cancel_requested, JSON.stringify(answer)).toBe(true);
    const final = await reelay.videos.wait(video.id, { intervalMs: 100, timeoutMs: 20_000 });
    expect(final.status).toBe('canceled');

    const content = await reelay.videos.download(video.id).catch((e: unknown) => e);
    expect(content).toMatchObject({ status: 409, code: 'invalid_state' });
    await expect(reelay.videos.cancel(video.id)).rejects.toMatchObject({
      status: 409,
      code: 'invalid_state',
    });
  });

  it('waits for a failing job without throwing: it ends failed with the provider code', async () => {
    const video = await reelay.videos.create({
      prompt: 'A doomed render #sim(fail=moderation,fail_at=0.2,render_ms=800)',
    });
    const final = await reelay.videos.wait(video.id, { intervalMs: 100, timeoutMs: 20_000 });
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ code: 'moderation_blocked' });
  });

  it('throws ReelayErrors with the status, code and param of the answer', async () => {
    const unknown = `video_${'0'.repeat(32)}`;
    const missing = await reelay.videos.get(unknown).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ReelayError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found', type: 'not_found_error' });

    const bad = await reelay.videos.create({ prompt: 'x', seconds: '5' as '4' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ReelayError);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_request', param: 'seconds' });

    const extra = { prompt: 'x', colour: 'red' } as unknown as Parameters<typeof reelay.videos.create>[0];
    await expect(reelay.videos.create(extra)).rejects.toMatchObject({ status: 400, param: 'colour' });

    const wrongKey = new ReelayClient({ baseUrl: stack.apiUrl, apiKey: 'rl_not_a_key' });
    await expect(wrongKey.videos.get(completed.id)).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
  });

  it('deletes a finished video', async () => {
    expect(await reelay.videos.delete(completed.id)).toEqual({
      id: completed.id,
      object: 'video.deleted',
      deleted: true,
    });
    await expect(reelay.videos.get(completed.id)).rejects.toMatchObject({ status: 404 });
  });
});
