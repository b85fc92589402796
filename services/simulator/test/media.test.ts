import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageInfo } from '@reelay/media';
import { describe, expect, it } from 'vitest';
import { SECONDS, SIZES, SIZES_BY_MODEL } from '../src/catalog.ts';
import { FIXTURES_DIR } from '../src/media.ts';
import { paddedMp4, parseRange } from '../src/padding.ts';
import { client, finishedJob, probeBytes, useSimulator } from './helpers.ts';

// What a finished job serves: real MP4s at the requested size with an audio track, a WebP thumbnail and
// a JPEG spritesheet; padded videos of exact sizes that stay valid; byte ranges.

const sim = await useSimulator({ SIM_CONCURRENCY: 1000 });
const api = client(sim, 'key-media');

async function download(id: string, query = '', headers: Record<string, string> = {}) {
  const response = await api.content(id, { headers }, query);
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const modelFor = (size: string) =>
  SIZES_BY_MODEL['sora-2'].includes(size as never) ? 'sora-2' : 'sora-2-pro';

describe('media', () => {
  it.each(SIZES)(
    'serves a playable %s video for every length, plus thumbnail and spritesheet',
    async (size) => {
      for (const seconds of SECONDS) {
        const job = await finishedJob(api, { prompt: 'media', model: modelFor(size), size, seconds });
        const { response, bytes } = await download(job.id);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('video/mp4');
        expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
        const probe = await probeBytes(bytes, 'v.mp4');
        const [width, height] = size.split('x').map(Number);
        expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({
          codec_name: 'h264',
          width,
          height,
        });
        expect(probe.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
        expect(Number(probe.format.duration)).toBeCloseTo(Number(seconds), 0);
        if (seconds !== '4') continue;

        const thumb = await download(job.id, '?variant=thumbnail');
        expect(thumb.response.headers.get('content-type')).toBe('image/webp');
        const thumbProbe = await probeBytes(thumb.bytes, 't.webp');
        expect(thumbProbe.streams[0]).toMatchObject({ codec_name: 'webp', width, height });
        const sprite = await download(job.id, '?variant=spritesheet');
        expect(sprite.response.headers.get('content-type')).toBe('image/jpeg');
        expect((await probeBytes(sprite.bytes, 's.jpg')).streams[0]).toMatchObject({ codec_name: 'mjpeg' });
      }
    },
  );

  it('rejects an unknown variant naming the param', async () => {
    const job = await finishedJob(api, { prompt: 'v' });
    const { response, bytes } = await download(job.id, '?variant=poster');
    expect(response.status).toBe(400);
    expect(JSON.parse(Buffer.from(bytes).toString()).error.param).toBe('variant');
  });

  it('makes each job its own file, and reports bytes and sha256 equal to what is served', async () => {
    const a = await finishedJob(api, { prompt: 'twin' });
    const b = await finishedJob(api, { prompt: 'twin' });
    const [da, db] = [await download(a.id), await download(b.id)];
    const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect(sha(da.bytes)).not.toBe(sha(db.bytes));
    const stats = await sim.stats();
    for (const [job, d] of [
      [a, da],
      [b, db],
    ] as const) {
      const entry = stats.jobs.find((j) => j.id === job.id);
      expect(entry).toMatchObject({ bytes: d.bytes.length, sha256: sha(d.bytes), status: 'completed' });
      expect(Buffer.from(d.bytes).includes(job.id)).toBe(true);
    }
  });

  it('pads a video to exactly #sim(bytes=N) and it stays a valid MP4', async () => {
    const size = 3 * 1024 * 1024 + 7;
    const job = await finishedJob(api, {
      prompt: `padded #sim(bytes=${size})`,
      size: '1280x720',
      seconds: '8',
    });
    const { response, bytes } = await download(job.id);
    expect(Number(response.headers.get('content-length'))).toBe(size);
    expect(bytes.length).toBe(size);
    const probe = await probeBytes(bytes, 'padded.mp4');
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    expect(Number(probe.format.size)).toBe(size);
    // Top-level boxes tile the file exactly, the last one being the `free` padding.
    const view = Buffer.from(bytes);
    const boxes: string[] = [];
    let at = 0;
    while (at < view.length) {
      const boxSize = view.readUInt32BE(at);
      boxes.push(view.toString('latin1', at + 4, at + 8));
      expect(boxSize).toBeGreaterThanOrEqual(8);
      at += boxSize;
    }
    expect(at).toBe(size);
    expect(boxes.at(-1)).toBe('free');
    expect(boxes.slice(0, 2)).toEqual(['ftyp', 'moov']);
    const stats = await sim.stats();
    const entry = stats.jobs.find((j) => j.id === job.id);
    expect(entry?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('answers single byte ranges with 206, and ignores or refuses the others', async () => {
    const job = await finishedJob(api, { prompt: 'ranges #sim(bytes=100000)' });
    const full = (await download(job.id)).bytes;

    const first = await download(job.id, '', { range: 'bytes=0-99' });
    expect(first.response.status).toBe(206);
    expect(first.response.headers.get('content-range')).toBe('bytes 0-99/100000');
    expect(first.response.headers.get('content-length')).toBe('100');
    expect(first.bytes).toEqual(full.subarray(0, 100));

    const middle = await download(job.id, '', { range: 'bytes=50000-' });
    expect(middle.response.headers.get('content-range')).toBe('bytes 50000-99999/100000');
    expect(middle.bytes).toEqual(full.subarray(50_000));

    const suffix = await download(job.id, '', { range: 'bytes=-10' });
    expect(suffix.response.headers.get('content-range')).toBe('bytes 99990-99999/100000');
    expect(suffix.bytes).toEqual(full.subarray(99_990));

    const clamped = await download(job.id, '', { range: 'bytes=99000-200000' });
    expect(clamped.bytes.length).toBe(1000);

    const beyond = await download(job.id, '', { range: 'bytes=100000-' });
    expect(beyond.response.status).toBe(416);
    expect(beyond.response.headers.get('content-range')).toBe('bytes */100000');

    const several = await download(job.id, '', { range: 'bytes=0-1,5-6' });
    expect(several.response.status).toBe(200);
    expect(several.bytes.length).toBe(100_000);
    expect(several.response.headers.get('accept-ranges')).toBe('bytes');
  });
});

describe('padding and image units', () => {
  it('writes the 64-bit largesize form for a padding box over 4 GiB - 1', () => {
    const head = Buffer.from('HEADBYTES');
    const total = head.length + 2 ** 32 + 100;
    const file = paddedMp4(head, 'tag', total);
    expect(file.size).toBe(total);
    const start = Buffer.concat([...file.chunks(0, head.length + 19)]);
    expect(start.subarray(head.length, head.length + 4).readUInt32BE()).toBe(1);
    expect(start.toString('latin1', head.length + 4, head.length + 8)).toBe('free');
    expect(start.readBigUInt64BE(head.length + 8)).toBe(BigInt(2 ** 32 + 100));
    expect(start.toString('latin1', head.length + 16)).toBe('tag');
    const tail = Buffer.concat([...file.chunks(total - 10, total)]);
    expect(tail).toEqual(Buffer.alloc(10));

    const small = paddedMp4(head, 'tag', head.length + 2 ** 32 - 1);
    const smallStart = Buffer.concat([...small.chunks(0, head.length + 8)]);
    expect(smallStart.readUInt32BE(head.length)).toBe(2 ** 32 - 1);
    expect(() => paddedMp4(head, 'tag', head.length + 7)).toThrow(RangeError);
  });

  it('parses Range headers', () => {
    expect(parseRange(undefined, 10)).toBeNull();
    expect(parseRange('bytes=2-4', 10)).toEqual({ start: 2, end: 5 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 10 });
    expect(parseRange('bytes=8-', 10)).toEqual({ start: 8, end: 10 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-2', 10)).toBeNull();
    expect(parseRange('items=1-2', 10)).toBeNull();
  });

  it('reads image sizes from PNG, JPEG and WebP headers', async () => {
    const webp = await readFile(join(FIXTURES_DIR, 'thumbnail_1792x1024.webp'));
    expect(imageInfo(webp)).toEqual({ format: 'webp', width: 1792, height: 1024 });
    const jpeg = await readFile(join(FIXTURES_DIR, 'spritesheet_720x1280.jpg'));
    expect(imageInfo(jpeg)).toMatchObject({ format: 'jpeg', width: 360 });
    const png = Buffer.alloc(24);
    png.writeUInt32BE(0x89504e47, 0);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(720, 16);
    png.writeUInt32BE(1280, 20);
    expect(imageInfo(png)).toEqual({ format: 'png', width: 720, height: 1280 });
    expect(imageInfo(Buffer.from('not an image at all, not at all'))).toBeNull();
  });
});
