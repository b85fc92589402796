import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uniqueName } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { ProviderError, type RenderRequest } from '../adapter.ts';
import { adapterFor, pollToEnd, rejection, simCounters, useSimulator } from './testing.ts';

// Every fault the simulator can inject, as the adapter classifies it. Faults are scripted per key, so
// each test owns its key and nothing leaks between tests. The rule that matters most: a create is
// never re-sent, and when its outcome is unknown the caller is told to reconcile with `list`.

const sim = await useSimulator({ SIM_CONCURRENCY: 50 });
/** One with a key list and a concurrency cap of 1, for 401 and the provider's own cap. */
const strict = await useSimulator({ SIM_API_KEYS: ['k-good'], SIM_CONCURRENCY: 1 });

const request = (prompt: string): RenderRequest => ({
  model: 'sora-2',
  prompt,
  seconds: '4',
  size: '720x1280',
  clientRef: 'vid_test',
});

/** An adapter on its own key, with a job in flight to poll. */
async function setup(flavor: 'openai' | 'newapi' = 'openai') {
  const key = uniqueName('fault');
  const adapter = adapterFor(sim, flavor, key);
  const { handle } = await adapter.submit(request('p #sim(queue_ms=5000)'));
  return { key, adapter, handle };
}

describe('retrieve faults', () => {
  it('500 is retryable provider_error', async () => {
    const { key, adapter, handle } = await setup();
    sim.addFaults({ op: 'retrieve', kind: '500', key });
    const error = await rejection(adapter.poll(handle));
    expect(error).toMatchObject({ kind: 'retryable', code: 'provider_error', status: 500 });
    // The next poll goes through: the adapter itself never retried.
    expect((await adapter.poll(handle)).state).toBe('queued');
  });

  it('503 is retryable provider_unavailable with the advertised wait', async () => {
    const { key, adapter, handle } = await setup();
    sim.addFaults({ op: 'retrieve', kind: '503', delayMs: 2500, key });
    const error = await rejection(adapter.poll(handle));
    expect(error).toMatchObject({
      kind: 'retryable',
      code: 'provider_unavailable',
      status: 503,
      retryAfterMs: 2500,
    });
  });

  it('429 is rate_limited with retryAfterMs from retry-after-ms', async () => {
    const { key, adapter, handle } = await setup();
    sim.addFaults({ op: 'retrieve', kind: '429', delayMs: 1500, key });
    const error = await rejection(adapter.poll(handle));
    expect(error).toMatchObject({
      kind: 'rate_limited',
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 1500,
    });
  });

  it('a reset connection is retryable network_error', async () => {
    const { key, adapter, handle } = await setup();
    sim.addFaults({ op: 'retrieve', kind: 'reset', key });
    const error = await rejection(adapter.poll(handle));
    expect(error).toMatchObject({ kind: 'retryable', code: 'network_error', status: undefined });
  });

  it('a slow answer past the timeout is retryable timeout', async () => {
    const { key, handle } = await setup();
    const impatient = adapterFor(sim, 'openai', key, { timeoutMs: 200 });
    sim.addFaults({ op: 'retrieve', kind: 'slow', delayMs: 3000, key });
    const error = await rejection(impatient.poll(handle));
    expect(error).toMatchObject({ kind: 'retryable', code: 'timeout' });
  });

  it.each(['openai', 'newapi'] as const)(
    'an error inside a 200 (%s flavor) is never a success',
    async (flavor) => {
      const { key, adapter, handle } = await setup(flavor);
      sim.addFaults({ op: 'retrieve', kind: 'error200', key }, { op: 'list', kind: 'error200', key });
      const error = await rejection(adapter.poll(handle));
      expect(error).toMatchObject({ kind: 'retryable', code: 'provider_error', status: 200 });
      expect(error.message).toMatch(/upstream_error/);
      const listed = await rejection(adapter.list({ limit: 10 }));
      expect(listed).toMatchObject({ kind: 'retryable', code: 'provider_error', status: 200 });
    },
  );

  it('a caller abort comes back as the caller reason, not as a provider error', async () => {
    const { adapter, handle } = await setup();
    const reason = new Error('shutting down');
    const outcome = await adapter.poll(handle, AbortSignal.abort(reason)).catch((error: unknown) => error);
    expect(outcome).toBe(reason);
  });
});

describe('create faults', () => {
  it('a reset before the job was made: submit_outcome_unknown, and list shows nothing to adopt', async () => {
    const key = uniqueName('create');
    const adapter = adapterFor(sim, 'openai', key);
    sim.addFaults({ op: 'create', kind: 'reset', key });
    const error = await rejection(adapter.submit(request('lost before')));
    expect(error).toMatchObject({ kind: 'retryable', code: 'submit_outcome_unknown' });
    expect((await adapter.list({ limit: 10 })).jobs).toEqual([]);
    expect((await simCounters(sim, key))?.creates).toBe(0);
  });

  it.each(['reset', '500'] as const)(
    'a %s after the job was made: submit_outcome_unknown, then list finds it by prompt',
    async (kind) => {
      const key = uniqueName('create');
      const adapter = adapterFor(sim, 'openai', key);
      sim.addFaults({ op: 'create', kind, after: true, key });
      const prompt = `answer lost (${kind}) #sim(queue_ms=0,render_ms=100)`;
      const error = await rejection(adapter.submit(request(prompt)));
      expect(error).toMatchObject({ kind: 'retryable', code: 'submit_outcome_unknown' });
      // Exactly one create reached the provider: the POST was not re-sent.
      expect((await simCounters(sim, key))?.creates).toBe(1);

      const { jobs } = await adapter.list({ limit: 20 });
      const match = jobs.find(
        (job) =>
          job.prompt === prompt && job.model === 'sora-2' && job.size === '720x1280' && job.seconds === '4',
      );
      expect(match?.handle.id).toMatch(/^video_/);
      expect((await pollToEnd(adapter, match!.handle)).at(-1)?.state).toBe('succeeded');
    },
  );

  it('429 on create is rate_limited, not an unknown outcome (nothing was made)', async () => {
    const key = uniqueName('create');
    const adapter = adapterFor(sim, 'openai', key);
    sim.addFaults({ op: 'create', kind: '429', delayMs: 800, key });
    const error = await rejection(adapter.submit(request('p')));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 800, status: 429 });
    expect((await simCounters(sim, key))?.creates).toBe(0);
  });

  it('503 on create is retryable submit_outcome_unknown, keeping status and wait', async () => {
    const key = uniqueName('create');
    const adapter = adapterFor(sim, 'openai', key);
    sim.addFaults({ op: 'create', kind: '503', delayMs: 1200, key });
    const error = await rejection(adapter.submit(request('p')));
    expect(error).toMatchObject({
      kind: 'retryable',
      code: 'submit_outcome_unknown',
      status: 503,
      retryAfterMs: 1200,
    });
  });

  it('a timeout on create is submit_outcome_unknown', async () => {
    const key = uniqueName('create');
    const adapter = adapterFor(sim, 'openai', key, { timeoutMs: 200 });
    sim.addFaults({ op: 'create', kind: 'slow', delayMs: 3000, key });
    const error = await rejection(adapter.submit(request('p')));
    expect(error).toMatchObject({ kind: 'retryable', code: 'submit_outcome_unknown' });
    expect(error.cause).toBeInstanceOf(ProviderError);
    expect((error.cause as ProviderError).code).toBe('timeout');
  });

  it('an error inside a 200 on a newapi create is not a success', async () => {
    const key = uniqueName('create');
    const adapter = adapterFor(sim, 'newapi', key);
    sim.addFaults({ op: 'create', kind: 'error200', key });
    const error = await rejection(adapter.submit(request('p')));
    expect(error).toMatchObject({ kind: 'retryable', code: 'submit_outcome_unknown', status: 200 });
  });

  it('a refused connection is provider_unreachable: nothing was sent, so re-sending is safe', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const adapter = adapterFor({ url: `http://127.0.0.1:${port}` }, 'openai', 'k');
    const error = await rejection(adapter.submit(request('p')));
    expect(error).toMatchObject({ kind: 'retryable', code: 'provider_unreachable' });
  });
});

describe('account limits and keys', () => {
  it('a wrong key is terminal unauthorized', async () => {
    const adapter = adapterFor(strict, 'openai', 'k-wrong');
    const error = await rejection(adapter.submit(request('p')));
    expect(error).toMatchObject({ kind: 'terminal', code: 'unauthorized', status: 401 });
  });

  it('the provider concurrency cap is rate_limited concurrency_limited, with a wait', async () => {
    const adapter = adapterFor(strict, 'openai', 'k-good');
    await adapter.submit(request('p #sim(queue_ms=0,render_ms=5000)'));
    const error = await rejection(adapter.submit(request('p')));
    expect(error).toMatchObject({ kind: 'rate_limited', code: 'concurrency_limited', status: 429 });
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });
});
