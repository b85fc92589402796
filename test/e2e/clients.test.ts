import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { VideoObject } from '@reelay/contracts';
import { ffprobe, REPO_ROOT } from '@reelay/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

const SAMPLE_CLIENT = resolve(REPO_ROOT, '../shared/seed/sample-client.sh');

// Existing Sora-shaped client code, unchanged but for base URL and key, against the running stack
// (`./reelay up`, with the simulator sped up so a render takes about a second).
describe('clients of the /v1/videos wire on the running stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ SIM_TIME_FACTOR: '0.01', POLL_COLD_START_MS: '200', POLL_MIN_MS: '50' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the official openai SDK creates, follows, downloads and deletes a video', async () => {
    const client = new OpenAI({ apiKey: stack.apiKey, baseURL: `${stack.apiUrl}/v1`, maxRetries: 0 });
    const created = await client.videos.create({
      model: 'sora-2',
      prompt: 'A calico cat playing a piano',
      seconds: '4',
    });
    expect(created).toMatchObject({
      object: 'video',
      status: 'queued',
      model: 'sora-2',
      seconds: '4',
      progress: 0,
    });
    expect(created.id).toMatch(/^video_[0-9a-f]{32}$/);

    let video = created;
    const deadline = Date.now() + 30_000;
    while (video.status !== 'completed' && video.status !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      video = await client.videos.retrieve(created.id);
    }
    expect(video.status, JSON.stringify(video)).toBe('completed');

    const ids: string[] = [];
    for await (const item of client.videos.list({ limit: 1 })) ids.push(item.id);
    expect(ids).toContain(created.id);

    const response = await client.videos.downloadContent(created.id);
    const bytes = Buffer.from(await response.arrayBuffer());
    const stored = (video as unknown as VideoObject).reelay.outputs.find((o) => o.variant === 'video')!;
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.sha256);
    const probe = await ffprobe(bytes);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 720, height: 1280 });
    expect(probe.streams.some((s) => s.codec_type === 'audio')).toBe(true);

    expect(await client.videos.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
    await expect(client.videos.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("the seed's sample client runs to completion through the gateway flavor and saves a playable MP4", async () => {
    expect(existsSync(SAMPLE_CLIENT), `the seed's sample client is missing at ${SAMPLE_CLIENT}`).toBe(true);
    const outdir = mkdtempSync(join(tmpdir(), 'reelay-sample-'));
    try {
      const { stdout } = await promisify(execFile)('bash', [SAMPLE_CLIENT], {
        env: {
          ...process.env,
          BASE: `${stack.apiUrl}/newapi`,
          KEY: stack.apiKey,
          POLL_S: '0.2',
          MAX_POLLS: '150',
          OUTDIR: outdir,
        },
      });
      expect(stdout).toContain('Video generation completed!');
      const id = /Video ID: (video_[0-9a-f]{32})/.exec(stdout)?.[1];
      expect(id, stdout).toBeDefined();
      const file = join(outdir, `${id}.mp4`);
      const probe = await ffprobe(readFileSync(file));
      expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 720, height: 1280 });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
