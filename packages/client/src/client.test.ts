import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReelayClient } from './client.ts';
import { ReelayError } from './errors.ts';

// The client's own behaviour (retries, timeouts, redirects, paging, waiting) against a scripted HTTP
// server on a real port; the real API is exercised in test/e2e/client-package.test.ts.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};
const apiError = (code: string, param: string | null = null) => ({
  error: { message: `${code} happened`, type: 'invalid_request_error', param, code },
});
const video = (id: string, status: string, progress: number) => ({ id, object: 'video', status, progress });
const ID = `video_${'0'.repeat(32)}`;

describe('ReelayClient', () => {
  it('retries a create after 503 and 429 under one generated Idempotency-Key, honoring Retry-After', async () => {
    const seen: { key: string | undefined; at: number; auth: string | undefined; body: string }[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({
          key: req.headers['idempotency-key'] as string,
          at: Date.now(),
          auth: req.headers.authorization,
          body,
        });
        if (seen.length === 1) return json(res, 503, apiError('unavailable'), { 'retry-after': '0.3' });
        if (seen.length === 2) return json(res, 429, apiError('rate_limited'), { 'retry-after-ms': '100' });
        json(res, 200, video(ID, 'queued', 0));
      });
    });
    const client = new ReelayClient({ baseUrl: `${url}/`, apiKey: 'rl_test' });
    const created = await client.videos.create({ prompt: 'a cat' });
    expect(created.id).toBe(ID);
    expect(seen).toHaveLength(3);
    expect(seen[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
    expect(seen[0]!.auth).toBe('Bearer rl_test');
    expect(JSON.parse(seen[0]!.body)).toEqual({ prompt: 'a cat' });
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(290);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(90);
  });

  it('retries a lost GET answer, but not a cancel whose effect may have happened', async () => {
    let gets = 0;
    let cancels = 0;
    const url = await serve((req, res) => {
      if (req.method === 'GET') {
        gets++;
        if (gets === 1) return req.socket.destroy();
        return json(res, 200, video(ID, 'queued', 0));
      }
      cancels++;
      json(res, 500, apiError('internal_error'));
    });
    const client = new ReelayClient({ baseUrl: url, apiKey: 'rl_test' });
    expect((await client.videos.get(ID)).id).toBe(ID);
    expect(gets).toBe(2);
    const error = await client.videos.cancel(ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReelayError);
    expect(error).toMatchObject({ status: 500, code: 'internal_error' });
    expect(cancels).toBe(1);
  });

  it('gives up after maxRetries, and on a Retry-After too far away', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 503, apiError('unavailable'), { 'retry-after': calls > 2 ? '3600' : '0' });
    });
    const client = new ReelayClient({ baseUrl: url, apiKey: 'rl_test', maxRetries: 5 });
    await expect(client.videos.get(ID)).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    expect(calls).toBe(3);
    calls = 0;
    const once = new ReelayClient({ baseUrl: url, apiKey: 'rl_test', maxRetries: 1 });
    await expect(once.videos.get(ID)).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(2);
  });

  it('reads OpenAI-shaped errors, and keeps the status of any other error body', async () => {
    const url = await serve((req, res) => {
      if (req.url?.startsWith('/v1/videos/')) return json(res, 404, apiError('not_found', 'video_id'));
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
    });
    const client = new ReelayClient({ baseUrl: url, apiKey: 'rl_test', maxRetries: 0 });
    const error = (await client.videos.get(ID).catch((e: unknown) => e)) as ReelayError;
    expect(error).toBeInstanceOf(ReelayError);
    expect(error).toMatchObject({
      name: 'ReelayError',
      status: 404,
      code: 'not_found',
      param: 'video_id',
      type: 'invalid_request_error',
      message: 'not_found happened',
    });
    await expect(client.videos.list()).rejects.toMatchObject({
      status: 502,
      code: null,
      message: 'HTTP 502: <html>Bad gateway</html>',
    });
  });

  it('times out a silent server, and reports a refused connection', async () => {
    const url = await serve(() => {});
    const client = new ReelayClient({ baseUrl: url, apiKey: 'rl_test', timeoutMs: 200, maxRetries: 0 });
    await expect(client.videos.get(ID)).rejects.toMatchObject({ status: null, code: 'timeout' });
    const closed = new ReelayClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'rl_test', maxRetries: 0 });
    await expect(closed.videos.get(ID)).rejects.toMatchObject({ status: null, code: 'connection_error' });
  });

  it('follows a redirect to a presigned URL without sending the API key there, and streams', async () => {
    const chunks = 20;
    let storageAuth: string | undefined = 'unset';
    const storage = await serve((req, res) => {
      storageAuth = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(chunks * 1024) });
      let sent = 0;
      // Slower in total than the timeout, but never idle for long: a download is not cut for length.
      const timer = setInterval(() => {
        res.write(Buffer.alloc(1024, sent));
        if (++sent === chunks) {
          clearInterval(timer);
          res.end();
        }
      }, 20);
    });
    const api = await serve((req, res) => {
      expect(req.url).toBe(`/v1/videos/${ID}/content?variant=thumbnail`);
      res.writeHead(302, { location: `${storage}/bucket/key?X-Amz-Signature=abc` }).end();
    });
    const client = new ReelayClient({ baseUrl: api, apiKey: 'rl_test', timeoutMs: 150 });
    const content = await client.videos.download(ID, { variant: 'thumbnail' });
    expect(content).toMatchObject({ contentType: 'video/mp4', contentLength: chunks * 1024 });
    let bytes = 0;
    for await (const chunk of content.body) bytes += chunk.length;
    expect(bytes).toBe(chunks * 1024);
    expect(storageAuth).toBeUndefined();
  });

  it('cuts a download that stalls', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '2048' });
      res.write(Buffer.alloc(1024));
    });
    const client = new ReelayClient({ baseUrl: url, apiKey: 'rl_test', timeoutMs: 200 });
    const content = await client.videos.download(ID);
    const read = async () => {
      for await (const _ of content.body);
    };
    await expect(read()).rejects.toMatchObject({ code: 'timeout' });
  });

  it('iterates over every page with the after cursor', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => `video_${String(i).repeat(32)}`);
    const queries: string[] = [];
    const url = await serve((req, res) => {
      const query = new URL(req.url!, 'http://x').searchParams;
      queries.push(query.toString());
      const start = query.has('after') ? ids.indexOf(query.get('after')!) + 1 : 0;
      const data = ids.slice(start, start + Number(query.get('limit'))).map((id) => video(id, 'queued', 0));
      json(res, 200, {
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: start + data.length < ids.length,
      });
    });
    const client = new ReelayClient({ baseUrl: `${url}/v1`, apiKey: 'rl_test' });
    const seen: string[] = [];
    for await (const v of client.videos.iterate({ limit: 2, order: 'asc' })) seen.push(v.id);
    expect(seen).toEqual(ids);
    expect(queries).toEqual([
      'limit=2&order=asc',
      `after=${ids[1]}&limit=2&order=asc`,
      `after=${ids[3]}&limit=2&order=asc`,
    ]);
  });

  it('waits through status and progress changes, and times out or aborts', async () => {
    const states = [
      ['queued', 0],
      ['queued', 0],
      ['in_progress', 10],
      ['in_progress', 10],
      ['in_progress', 60],
      ['failed', 60],
    ] as const;
    let looks = 0;
    const url = await serve((req, res) => {
      if (req.url?.includes('stuck')) return json(res, 200, video('stuck', 'in_progress', 5));
      const [status, progress] = states[Math.min(looks++, states.length - 1)]!;
      json(res, 200, video(ID, status, progress));
    });
    const client = new ReelayClient({ baseUrl: url, apiKey: 'rl_test' });
    const progress: string[] = [];
    const final = await client.videos.wait(ID, {
      intervalMs: 10,
      onProgress: (v) => progress.push(`${v.status}:${v.progress}`),
    });
    expect(final.status).toBe('failed');
    expect(progress).toEqual(['queued:0', 'in_progress:10', 'in_progress:60', 'failed:60']);

    await expect(client.videos.wait('stuck', { intervalMs: 10, timeoutMs: 150 })).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringContaining('in_progress, 5%'),
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      client.videos.wait('stuck', { intervalMs: 10, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'aborted' });
  });
});
