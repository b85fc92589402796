import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../src/media.ts';
import { probeBytes, sleep, useSimulator } from './helpers.ts';

// The official Node SDK against the simulator: it sends multipart creates, pages with `after`, and
// downloads raw bytes. If the simulator drifts from the wire, this is where it shows.

const sim = await useSimulator({ SIM_CONCURRENCY: 100 });
const openai = new OpenAI({ apiKey: 'sk-sdk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 });

async function untilDone(id: string) {
  for (;;) {
    const video = await openai.videos.retrieve(id);
    if (video.status === 'completed' || video.status === 'failed') return video;
    await sleep(10);
  }
}

describe('openai SDK', () => {
  it('creates (multipart), retrieves, lists, downloads and deletes', async () => {
    const created = await openai.videos.create({
      prompt: 'an SDK-made clip #sim(queue_ms=20,render_ms=100)',
      model: 'sora-2',
      seconds: '8',
      size: '1280x720',
    });
    expect(created).toMatchObject({ object: 'video', status: 'queued', seconds: '8', size: '1280x720' });

    const done = await untilDone(created.id);
    expect(done).toMatchObject({ id: created.id, status: 'completed', progress: 100 });

    const content = await openai.videos.downloadContent(created.id);
    const probe = await probeBytes(new Uint8Array(await content.arrayBuffer()), 'sdk.mp4');
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    const thumbnail = await openai.videos.downloadContent(created.id, { variant: 'thumbnail' });
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    await thumbnail.arrayBuffer();

    const deleted = await openai.videos.delete(created.id);
    expect(deleted).toEqual({ id: created.id, object: 'video.deleted', deleted: true });
    await expect(openai.videos.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('uploads an input_reference file and remixes', async () => {
    const image = await readFile(join(FIXTURES_DIR, 'thumbnail_720x1280.webp'));
    const created = await openai.videos.create({
      prompt: 'from a first frame #sim(queue_ms=0,render_ms=0)',
      input_reference: await toFile(image, 'frame.webp', { type: 'image/webp' }),
    });
    expect(created.size).toBe('720x1280');
    await untilDone(created.id);
    const remix = await openai.videos.remix(created.id, { prompt: 'again, at night' });
    expect(remix.remixed_from_video_id).toBe(created.id);

    const wrong = await readFile(join(FIXTURES_DIR, 'thumbnail_1280x720.webp'));
    await expect(
      openai.videos.create({
        prompt: 'p',
        input_reference: await toFile(wrong, 'w.webp', { type: 'image/webp' }),
      }),
    ).rejects.toMatchObject({ status: 400, param: 'input_reference' });
  });

  it('pages through list with the cursor', async () => {
    const paged = new OpenAI({ apiKey: 'sk-sdk-pages', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await paged.videos.create({ prompt: `page ${i}` })).id);
    const seen: string[] = [];
    for await (const video of paged.videos.list({ limit: 2 })) seen.push(video.id);
    expect(seen).toEqual([...ids].reverse());
  });

  it('surfaces 400s and 429s as typed errors', async () => {
    await expect(openai.videos.create({ prompt: 'p', seconds: '7' as never })).rejects.toMatchObject({
      status: 400,
      param: 'seconds',
    });
    sim.addFaults({ op: 'retrieve', kind: '429' });
    const video = await openai.videos.create({ prompt: 'p' });
    await expect(openai.videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});
