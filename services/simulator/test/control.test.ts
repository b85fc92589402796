import { describe, expect, it } from 'vitest';
import { client, finishedJob, useSimulator } from './helpers.ts';

// The control surface tests and benches use: /healthz, /_sim/stats, /_sim/reset, and the same through
// the handle startSimulator() returns.

const sim = await useSimulator();
const api = client(sim, 'key-control');

describe('control API', () => {
  it('answers /healthz', async () => {
    const response = await fetch(`${sim.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reports per-op and per-key counters and per-job details in /_sim/stats', async () => {
    const job = await finishedJob(api, { prompt: 'counted', size: '1280x720' });
    await api.content(job.id).then((r) => r.arrayBuffer());
    const response = await fetch(`${sim.url}/_sim/stats`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as Awaited<ReturnType<typeof sim.stats>>;
    expect(stats.config).toMatchObject({ flavor: 'openai', timeFactor: 0.002 });
    expect(stats.ops.create).toMatchObject({ requests: 1, creates: 1, statuses: { '200': 1 } });
    expect(stats.ops.content).toMatchObject({ requests: 1, statuses: { '200': 1 } });
    expect(stats.keys['key-control']?.requests).toBe(stats.totals.requests);
    const entry = stats.jobs.find((j) => j.id === job.id);
    expect(entry).toMatchObject({
      key: 'key-control',
      prompt: job.prompt,
      model: 'sora-2',
      size: '1280x720',
      seconds: '4',
      status: 'completed',
      realQueueMs: 0,
      realRenderMs: 0,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(entry?.queueMs).toBe(0);
    expect(Date.parse(entry?.completedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(entry?.createdAt ?? ''));
    expect(entry?.startedAt).toEqual(expect.any(String));
    expect(entry?.bytes).toBeGreaterThan(1000);
  });

  it('forgets everything on POST /_sim/reset', async () => {
    await finishedJob(api, { prompt: 'to forget' });
    sim.addFaults({ op: 'list', kind: '503' });
    const reset = await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    expect(await reset.json()).toEqual({ reset: true });
    const stats = await sim.stats();
    expect(stats.jobs).toEqual([]);
    expect(stats.totals.requests).toBe(0);
    expect(stats.faultsPending).toEqual([]);
    expect((await api.list()).body.data).toEqual([]);
  });

  it('offers the same through the in-process handle', async () => {
    sim.addFaults({ op: 'list', kind: '503', count: 2 });
    expect((await sim.stats()).faultsPending).toMatchObject([{ op: 'list', kind: '503', count: 2 }]);
    expect((await api.list()).status).toBe(503);
    sim.reset();
    expect((await api.list()).status).toBe(200);
  });
});
