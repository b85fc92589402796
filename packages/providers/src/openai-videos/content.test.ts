import { gzipSync } from 'node:zlib';
import { uniqueName } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import type { ProviderHandle, RenderRequest, ResultLocator } from '../adapter.ts';
import {
  adapterFor,
  drain,
  pollToEnd,
  rejection,
  sha256,
  simJob,
  useServer,
  useSimulator,
} from './testing.ts';

// Opening results: streaming, resuming with an offset, telling a truncated download from a complete
// one, redirects and URL locators, stalls. The caller must always be able to tell it does not have the
// whole file: the stream errors with a retryable code, and fewer bytes than contentLength came.

const sim = await useSimulator();

const request = (prompt: string): RenderRequest => ({
  model: 'sora-2',
  prompt,
  seconds: '4',
  size: '720x1280',
  clientRef: 'vid_test',
});

const VIDEO: ResultLocator = { kind: 'adapter', variant: 'video' };

/** A finished job on its own key; 200 kB so a truncation lands mid-body in several chunks. */
async function finished(flavor: 'openai' | 'newapi' = 'openai') {
  const key = uniqueName('content');
  const adapter = adapterFor(sim, flavor, key);
  const { handle } = await adapter.submit(request('clip #sim(queue_ms=0,render_ms=0,bytes=200000)'));
  const done = (await pollToEnd(adapter, handle)).at(-1)!;
  expect(done.state).toBe('succeeded');
  return { key, adapter, handle, done };
}

describe('open', () => {
  it('resumes from an offset with Range', async () => {
    const { adapter, handle } = await finished();
    const full = (await drain((await adapter.open(handle, VIDEO)).body)).bytes;
    expect(full.length).toBe(200_000);

    const rest = await adapter.open(handle, VIDEO, { offset: 123_456 });
    expect(rest.contentLength).toBe(200_000 - 123_456);
    const { bytes, error } = await drain(rest.body);
    expect(error).toBeUndefined();
    expect(bytes.equals(full.subarray(123_456))).toBe(true);
  });

  it.each(['openai', 'newapi'] as const)(
    'detects a truncated download (%s flavor) and completes it by resuming at the bytes held',
    async (flavor) => {
      const { key, adapter, handle } = await finished(flavor);
      sim.addFaults({ op: 'content', kind: 'truncate', fraction: 0.4, key });
      const cut = await adapter.open(handle, VIDEO);
      expect(cut.contentLength).toBe(200_000);
      const first = await drain(cut.body);
      expect(first.error).toMatchObject({
        name: 'ProviderError',
        kind: 'retryable',
        code: 'download_truncated',
      });
      expect(first.bytes.length).toBeLessThan(200_000);

      const rest = await adapter.open(handle, VIDEO, { offset: first.bytes.length });
      const second = await drain(rest.body);
      expect(second.error).toBeUndefined();
      const whole = Buffer.concat([first.bytes, second.bytes]);
      const job = await simJob(sim, handle.id);
      expect(whole.length).toBe(job.bytes);
      expect(sha256(whole)).toBe(job.sha256);
    },
  );

  it('a reset before any byte is retryable network_error', async () => {
    const { key, adapter, handle } = await finished();
    sim.addFaults({ op: 'content', kind: 'reset', key });
    const error = await rejection(adapter.open(handle, VIDEO));
    expect(error).toMatchObject({ kind: 'retryable', code: 'network_error' });
  });

  it('content of an unfinished job is retryable; an offset past the end is terminal', async () => {
    const key = uniqueName('content');
    const adapter = adapterFor(sim, 'openai', key);
    const pending = await adapter.submit(request('p #sim(queue_ms=5000)'));
    const early = await rejection(adapter.open(pending.handle, VIDEO));
    expect(early).toMatchObject({ kind: 'retryable', code: 'conflict', status: 409 });

    const done = await finished();
    const beyond = await rejection(done.adapter.open(done.handle, VIDEO, { offset: 200_000 }));
    expect(beyond).toMatchObject({ kind: 'terminal', code: 'range_not_satisfiable', status: 416 });
  });

  it('streams thumbnails and spritesheets', async () => {
    const { adapter, handle, done } = await finished();
    const thumbnail = await adapter.open(handle, done.results!.thumbnail!);
    const spritesheet = await adapter.open(handle, done.results!.spritesheet!);
    expect(thumbnail.contentType).toBe('image/webp');
    expect(spritesheet.contentType).toBe('image/jpeg');
    const bytes = (await drain(spritesheet.body)).bytes;
    expect(bytes.length).toBe(spritesheet.contentLength);
    expect(bytes.subarray(0, 2).equals(Buffer.from([0xff, 0xd8]))).toBe(true);
    thumbnail.body.destroy();
  });
});

describe('URL locators and odd servers', () => {
  const media = Buffer.alloc(50_000, 7);

  it('follows redirects to the file, and never sends the account key to another origin', async () => {
    const cdn = await useServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(media.length) });
      response.end(media);
    });
    const hop = await useServer((_request, response) => {
      response.writeHead(302, { location: `${cdn.url}/file.mp4` }).end();
    });
    const adapter = adapterFor(sim, 'openai', 'secret-key');
    const handle: ProviderHandle = { id: 'video_x' };
    const stream = await adapter.open(handle, { kind: 'url', url: `${hop.url}/start` });
    const { bytes, error } = await drain(stream.body);
    expect(error).toBeUndefined();
    expect(bytes.equals(media)).toBe(true);
    expect(hop.seen).toHaveLength(1);
    expect(cdn.seen).toHaveLength(1);
    for (const { headers } of [...hop.seen, ...cdn.seen]) expect(headers.authorization).toBeUndefined();
  });

  it('sends the key to a URL on the account origin, and a locator header anywhere', async () => {
    const { adapter, handle } = await finished();
    const url = `${sim.url}/v1/videos/${handle.id}/content?variant=video`;
    const stream = await adapter.open(handle, { kind: 'url', url });
    expect((await drain(stream.body)).bytes.length).toBe(200_000);

    const server = await useServer((_request, response) => response.end('ok'));
    const other = await adapter.open(handle, {
      kind: 'url',
      url: server.url,
      headers: { 'x-signed': 'yes' },
    });
    await drain(other.body);
    expect(server.seen[0]?.headers).toMatchObject({ 'x-signed': 'yes' });
    expect(server.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('skips the bytes already held when a server ignores Range', async () => {
    const media = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const server = await useServer((_request, response) => {
      response.writeHead(200, { 'content-length': String(media.length) }).end(media);
    });
    const adapter = adapterFor(sim, 'openai', 'k');
    const stream = await adapter.open({ id: 'x' }, { kind: 'url', url: server.url }, { offset: 600 });
    expect(server.seen[0]?.headers.range).toBe('bytes=600-');
    expect(stream.contentLength).toBe(media.length - 600);
    const { bytes } = await drain(stream.body);
    expect(bytes.equals(media.subarray(600))).toBe(true);
  });

  it('a body that stops moving errors with download_stalled', async () => {
    const server = await useServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100000' });
      response.write(Buffer.alloc(1000));
      // ...and nothing more, ever.
    });
    const adapter = adapterFor(sim, 'openai', 'k', { idleTimeoutMs: 1000 });
    const stream = await adapter.open({ id: 'x' }, { kind: 'url', url: server.url });
    const { bytes, error } = await drain(stream.body);
    expect(error).toMatchObject({ kind: 'retryable', code: 'download_stalled' });
    expect(bytes.length).toBe(1000);
  });

  it('a consumer that stops early closes the connection at once', async () => {
    let closed!: Promise<void>;
    const server = await useServer((_request, response) => {
      closed = new Promise((resolve) => response.once('close', () => resolve()));
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100000' });
      response.write(Buffer.alloc(1000));
    });
    // The default idle timeout (30 s) is far beyond the test's: only the early abort can close it.
    const adapter = adapterFor(sim, 'openai', 'k');
    const stream = await adapter.open({ id: 'x' }, { kind: 'url', url: server.url });
    for await (const _chunk of stream.body) break;
    await closed;
    expect(stream.body.destroyed).toBe(true);
  }, 10_000);

  it('asks for identity encoding, and does not length-check a body compressed anyway', async () => {
    const media = Buffer.alloc(20_000, 'a');
    const packed = gzipSync(media);
    const server = await useServer((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(packed.length) });
      response.end(packed);
    });
    const adapter = adapterFor(sim, 'openai', 'k');
    const stream = await adapter.open({ id: 'x' }, { kind: 'url', url: server.url });
    expect(server.seen[0]?.headers['accept-encoding']).toBe('identity');
    expect(stream.contentLength).toBeUndefined();
    const { bytes, error } = await drain(stream.body);
    expect(error).toBeUndefined();
    expect(bytes.equals(media)).toBe(true);
  });

  it('a JSON error answered with 200 on content is an error, not a video', async () => {
    const server = await useServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'upstream_error', message: 'upstream failed', data: null }));
    });
    const adapter = adapterFor(sim, 'openai', 'k');
    const error = await rejection(adapter.open({ id: 'x' }, { kind: 'url', url: server.url }));
    expect(error).toMatchObject({ kind: 'retryable', code: 'provider_error', status: 200 });
  });
});
