import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { client, finishedJob, useSimulator, type WireBody } from './helpers.ts';

// Injected faults: scripted through POST /_sim/faults (FIFO, per op, per key, count), and random ones
// from SIM_FAULT_*_RATE. Every kind is observed at the HTTP level, as a client would see it.

const sim = await useSimulator({ SIM_CONCURRENCY: 100 });
const api = client(sim, 'key-faults');

async function inject(spec: unknown) {
  const response = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    body: JSON.stringify(spec),
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as WireBody };
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  received: number;
  error: string | null;
}

/** A GET with node:http, so a truncated body is observable (fetch would only throw). */
function rawGet(url: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      const done = (error: string | null) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, received, error });
      res.on('end', () => done(null));
      res.on('aborted', () => done('aborted'));
      res.on('error', (error) => done(error.message));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The error a fetch fails with when the connection is cut. */
async function fetchFailure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
  }
  throw new Error('expected the request to fail');
}

describe('scripted faults', () => {
  it('answers 500 for the next `count` matching requests, before doing anything', async () => {
    const own = client(sim, 'key-500');
    await inject({ op: 'create', kind: '500', count: 2 });
    for (let i = 0; i < 2; i++) {
      const answer = await own.create({ prompt: 'p' });
      expect(answer.status).toBe(500);
      expect(answer.body.error).toMatchObject({ type: 'server_error' });
    }
    expect((await own.list()).body.data).toHaveLength(0);
    expect((await own.create({ prompt: 'p' })).status).toBe(200);
    expect((await own.list()).body.data).toHaveLength(1);
  });

  it('answers 503 and 429 with retry headers', async () => {
    await inject([
      { op: 'retrieve', kind: '503', delayMs: 2500 },
      { op: 'retrieve', kind: '429' },
    ]);
    const job = await api.create({ prompt: 'p' });
    const unavailable = await api.retrieve(job.body.id);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('3');
    expect(unavailable.headers.get('retry-after-ms')).toBe('2500');
    const limited = await api.retrieve(job.body.id);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-limit-requests')).not.toBeNull();
    expect((await api.retrieve(job.body.id)).status).toBe(200);
  });

  it('resets the connection without an answer', async () => {
    await inject({ op: 'list', kind: 'reset' });
    const failure = await fetchFailure(api.list());
    expect(failure).toMatch(/ECONNRESET|UND_ERR_SOCKET|socket|other side closed/i);
    expect((await api.list()).status).toBe(200);
  });

  it('holds a slow answer for delayMs, then answers normally', async () => {
    await inject({ op: 'list', kind: 'slow', delayMs: 300 });
    const started = performance.now();
    const answer = await api.list();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(answer.status).toBe(200);
  });

  it('truncates a download: full Content-Length, then the connection drops', async () => {
    const job = await finishedJob(api, { prompt: 'to be cut' });
    await inject({ op: 'content', kind: 'truncate', fraction: 0.25 });
    const cut = await rawGet(`${api.base}/videos/${job.id}/content`, api.headers);
    const length = Number(cut.headers['content-length']);
    expect(cut.status).toBe(200);
    expect(length).toBeGreaterThan(1000);
    expect(cut.error).not.toBeNull();
    expect(cut.received).toBeLessThan(length);
    expect(cut.received).toBeGreaterThan(0);

    const whole = await rawGet(`${api.base}/videos/${job.id}/content`, api.headers);
    expect(whole).toMatchObject({ status: 200, error: null, received: length });
  });

  it('truncates a JSON answer too', async () => {
    await inject({ op: 'list', kind: 'truncate' });
    const cut = await rawGet(`${api.base}/videos`, api.headers);
    expect(cut.error).not.toBeNull();
    expect(cut.received).toBeLessThan(Number(cut.headers['content-length']));
  });

  it('sends an error inside a 200 body', async () => {
    const gateway = client(sim, 'key-faults', '/newapi/v1');
    await inject({ op: 'retrieve', kind: 'error200' });
    const job = await gateway.create({ prompt: 'p' });
    const answer = await gateway.retrieve(job.body.id);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ code: 'upstream_error', message: expect.any(String), data: null });
  });

  it('with after: true performs the operation, then fails the answer (a create billed but unseen)', async () => {
    const own = client(sim, 'key-after');
    await inject([
      { op: 'create', kind: '500', after: true },
      { op: 'create', kind: 'reset', after: true },
    ]);
    expect((await own.create({ prompt: 'first' })).status).toBe(500);
    await fetchFailure(own.create({ prompt: 'second' }));
    const listed = await own.list();
    expect(listed.body.data.map((v) => v.prompt)).toEqual(['second', 'first']);
  });

  it('matches by op and key, first in first out, and can be listed and cleared', async () => {
    await inject([
      { op: 'delete', kind: '503', key: 'key-someone-else' },
      { op: 'retrieve', kind: '500', count: 3, key: 'key-faults' },
    ]);
    const pending = await fetch(`${sim.url}/_sim/faults`).then(
      (r) => r.json() as Promise<{ pending: Array<{ op: string; kind: string; count: number }> }>,
    );
    expect(pending.pending.map((f) => [f.op, f.kind, f.count])).toEqual([
      ['delete', '503', 1],
      ['retrieve', '500', 3],
    ]);
    // A list is neither; the delete fault belongs to another key.
    expect((await api.list()).status).toBe(200);
    const job = await finishedJob(client(sim, 'key-faults-2'), { prompt: 'p' });
    expect((await client(sim, 'key-faults-2').remove(job.id)).status).toBe(200);
    const mine = await api.create({ prompt: 'p' });
    expect((await api.retrieve(mine.body.id)).status).toBe(500);

    const cleared = await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' }).then(
      (r) => r.json() as Promise<{ pending: Array<{ op: string; kind: string; count: number }> }>,
    );
    expect(cleared.pending).toEqual([]);
    expect((await api.retrieve(mine.body.id)).status).toBe(200);
  });

  it('rejects an invalid fault spec with a 400 naming the field', async () => {
    const answer = await inject({ op: 'create', kind: 'explode' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.param).toBe('kind');
  });

  it('counts faults in stats', async () => {
    const stats = await sim.stats({ hash: false });
    expect(stats.faultKinds).toMatchObject({
      '500': expect.any(Number),
      reset: 2,
      truncate: 2,
      slow: 1,
      error200: 1,
    });
    expect(stats.ops.create?.faults).toBeGreaterThanOrEqual(4);
  });
});

describe('random faults', () => {
  it('applies SIM_FAULT_*_RATE = 1 to every eligible request', async () => {
    const noisy = await useSimulator({ SIM_FAULT_5XX_RATE: 1 });
    const answers = await Promise.all([1, 2, 3, 4].map(() => client(noisy, 'k').list()));
    for (const answer of answers) expect([500, 503]).toContain(answer.status);

    const cutting = await useSimulator({ SIM_FAULT_TRUNCATE_RATE: 1, SIM_FAULT_ERROR200_RATE: 1 });
    const c = client(cutting, 'k');
    // Truncation applies to downloads only; error-in-200 to the newapi flavor only.
    const job = await finishedJob(c, { prompt: 'p' });
    const cut = await rawGet(`${c.base}/videos/${job.id}/content`, c.headers);
    expect(cut.error).not.toBeNull();
    const gateway = await client(cutting, 'k', '/newapi/v1').list();
    expect(gateway.body).toMatchObject({ code: 'upstream_error' });
  });

  it('draws the same faults for the same seed and request order', async () => {
    const run = async () => {
      const s = await useSimulator({ SIM_FAULT_5XX_RATE: 0.3, SIM_FAULT_429_RATE: 0.2, SIM_SEED: 'replay' });
      const c = client(s, 'k');
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await c.list()).status);
      return statuses;
    };
    const first = await run();
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(await run()).toEqual(first);
  });
});
