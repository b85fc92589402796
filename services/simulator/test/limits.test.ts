import { describe, expect, it } from 'vitest';
import { client, sleep, useSimulator } from './helpers.ts';

// Per-key request rate (token bucket over a simulated minute) and per-key concurrency, both 429s with
// OpenAI's headers, distinguished by error code.

function expectRetryHeaders(headers: Headers) {
  expect(headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(Number(headers.get('retry-after-ms'))).toBeGreaterThan(0);
}

describe('request rate', () => {
  it('allows SIM_RPM requests per simulated minute, then 429s with the rate-limit headers', async () => {
    // Time factor 1: the bucket refills one token every 20 s, so nothing refills during the test.
    const sim = await useSimulator({ SIM_RPM: 3, SIM_TIME_FACTOR: 1 });
    const api = client(sim, 'key-rate');
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await api.list();
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(answer.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|[\d.]+s|\d+m[\d.]+s)$/);
      remaining.push(answer.headers.get('x-ratelimit-remaining-requests')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const limited = await api.create({ prompt: 'one too many' });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expectRetryHeaders(limited.headers);
    expect(Number(limited.headers.get('retry-after-ms'))).toBeGreaterThan(15_000);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/s$/);

    // Another key has its own bucket.
    expect((await client(sim, 'key-rate-other').list()).status).toBe(200);
    const stats = await sim.stats({ hash: false });
    expect(stats.keys['key-rate']).toMatchObject({ requests: 4, rateLimited: 1, creates: 0 });
    expect(stats.keys['key-rate']?.statuses['429']).toBe(1);
    expect(stats.ops.create?.rateLimited).toBe(1);
  });

  it('refills on the simulated clock: the advertised retry-after-ms is enough', async () => {
    // 2 per simulated minute at factor 0.03: a minute lasts 1.8 s, a token comes back every 900 ms.
    const sim = await useSimulator({ SIM_RPM: 2, SIM_TIME_FACTOR: 0.03 });
    const api = client(sim, 'key-refill');
    await api.list();
    await api.list();
    const limited = await api.list();
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers.get('retry-after-ms'));
    expect(wait).toBeLessThanOrEqual(900);
    await sleep(wait + 5);
    expect((await api.list()).status).toBe(200);
  });
});

describe('concurrency', () => {
  it('429s a create over SIM_CONCURRENCY queued/in-progress jobs per key, until one finishes', async () => {
    const sim = await useSimulator({ SIM_CONCURRENCY: 2 });
    const api = client(sim, 'key-conc');
    const short = await api.create({ prompt: 'short #sim(queue_ms=0,render_ms=1000)' });
    const long = await api.create({ prompt: 'long #sim(queue_ms=0,render_ms=60000)' });
    expect([short.status, long.status]).toEqual([200, 200]);

    const refused = await api.create({ prompt: 'third' });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'requests', code: 'concurrency_limit_exceeded' });
    expectRetryHeaders(refused.headers);
    // The soonest slot frees when the short job ends, well before the long one.
    expect(Number(refused.headers.get('retry-after-ms'))).toBeLessThanOrEqual(1000);
    expect(refused.headers.get('x-ratelimit-limit-requests')).not.toBeNull();

    // Other keys are not affected.
    expect((await client(sim, 'key-conc-other').create({ prompt: 'p' })).status).toBe(200);

    await sleep(Number(refused.headers.get('retry-after-ms')) + 20);
    const admitted = await api.create({ prompt: 'third, later #sim(render_ms=60000)' });
    expect(admitted.status).toBe(200);
    expect((await api.create({ prompt: 'fourth' })).status).toBe(429);

    const stats = await sim.stats({ hash: false });
    expect(stats.keys['key-conc']).toMatchObject({ creates: 3, concurrencyLimited: 2 });
  });
});
