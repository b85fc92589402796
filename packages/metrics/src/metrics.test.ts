import { type IsolatedRedis, isolatedRedis } from '@reelay/testkit';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, seriesNames } from './definitions.ts';
import { mergeExpositions, parseExposition } from './exposition.ts';
import { createMetrics } from './metrics.ts';
import { readQueue } from './queues.ts';

describe('the metric catalog', () => {
  it('names every family reelay_*, once, in base units, with _total on counters only', () => {
    const names = Object.values(METRICS).map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const definition of Object.values(METRICS)) {
      expect(definition.name).toMatch(/^reelay_[a-z0-9_]+$/);
      expect(definition.name.endsWith('_total')).toBe(definition.type === 'counter');
      expect(/_(ms|milliseconds|minutes|kb|mb)(_|$)/.test(definition.name)).toBe(false);
      if (definition.type === 'histogram') expect(definition.buckets?.length).toBeGreaterThan(3);
    }
    expect(seriesNames(METRICS.stepDuration)).toEqual([
      'reelay_step_duration_seconds_bucket',
      'reelay_step_duration_seconds_sum',
      'reelay_step_duration_seconds_count',
    ]);
  });

  it("registers only the process's own families", async () => {
    const api = parseExposition(await createMetrics({ service: 'api', defaults: false }).registry.metrics());
    const worker = createMetrics({ service: 'worker', defaults: false });
    worker.pipeline.step({ step: 'poll', outcome: 'scheduled', durationMs: 12 });
    const text = await worker.registry.metrics();
    expect(text).toContain('# TYPE reelay_step_duration_seconds histogram');
    expect(text).not.toContain('reelay_http_requests_total');
    expect(api.some((s) => s.name.startsWith('reelay_step'))).toBe(false);
    const samples = parseExposition(text);
    expect(samples.find((s) => s.name === 'reelay_step_duration_seconds_sum')?.value).toBeCloseTo(0.012);
  });

  it('labels provider answers by status and class, and counts 429s apart', async () => {
    const metrics = createMetrics({ service: 'worker', defaults: false });
    const report = metrics.provider('acct');
    report({ op: 'create', status: 429, durationMs: 5 });
    report({ op: 'retrieve', status: null, durationMs: 30_000 });
    const samples = parseExposition(await metrics.registry.metrics());
    const find = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    expect(find('reelay_provider_requests_total', { op: 'create', status: '429' })).toBe(1);
    expect(find('reelay_provider_requests_total', { op: 'retrieve', status: 'error' })).toBe(1);
    expect(find('reelay_provider_request_duration_seconds_count', { status_class: '4xx' })).toBe(1);
    expect(find('reelay_provider_request_duration_seconds_count', { status_class: 'error' })).toBe(1);
    expect(find('reelay_provider_rate_limited_total', { account: 'acct' })).toBe(1);
  });

  it('leaves a failing scrape-time source out and counts the failure', async () => {
    const metrics = createMetrics({ service: 'worker', defaults: false }).watchProviders(() =>
      Promise.reject(new Error('redis away')),
    );
    const samples = parseExposition((await metrics.render()).body);
    expect(samples.some((s) => s.name === 'reelay_provider_in_flight')).toBe(false);
    expect(
      samples.find(
        (s) =>
          s.name === 'reelay_metrics_collect_errors_total' &&
          s.labels.collector === 'reelay_provider_in_flight',
      )?.value,
    ).toBe(1);
  });
});

describe('mergeExpositions', () => {
  it('keeps one HELP and TYPE per family and its samples together', () => {
    const a =
      '# HELP x_count X\n# TYPE x_count gauge\nx_count{queue="a"} 1\n# HELP y Y\n# TYPE y counter\ny{queue="a"} 2';
    const b =
      '# HELP x_count X\n# TYPE x_count gauge\nx_count{queue="b"} 3\n# HELP y Y\n# TYPE y counter\ny{queue="b"} 4';
    expect(mergeExpositions([a, b])).toBe(
      [
        '# HELP x_count X',
        '# TYPE x_count gauge',
        'x_count{queue="a"} 1',
        'x_count{queue="b"} 3',
        '# HELP y Y',
        '# TYPE y counter',
        'y{queue="a"} 2',
        'y{queue="b"} 4',
        '',
      ].join('\n'),
    );
    expect(mergeExpositions([])).toBe('');
  });
});

describe('queue readings against real Redis', () => {
  let isolated: IsolatedRedis;
  let queue: Queue;
  beforeAll(async () => {
    isolated = await isolatedRedis('metrics');
    queue = new Queue('{videos}', { connection: isolated.redis, prefix: `${isolated.prefix}:q` });
  });
  afterAll(async () => {
    await queue.close();
    await isolated.cleanup();
  });

  it('reads counts, the age of the oldest job in each line, and how late the delayed set is', async () => {
    const empty = await readQueue(isolated.redis, queue);
    expect(empty.oldestAgeSeconds).toEqual({ waiting: 0, prioritized: 0 });
    expect(empty.overdueSeconds).toBe(0);

    const now = Date.now();
    await queue.add('w', {}, { timestamp: now - 10_000 });
    await queue.add('w', {}, { timestamp: now - 5_000 });
    // The oldest prioritized job is a low-priority one behind a newer high-priority one.
    await queue.add('p', {}, { priority: 1, timestamp: now - 20_000 });
    await queue.add('p', {}, { priority: 3, timestamp: now - 90_000 });
    await queue.add('p', {}, { priority: 3, timestamp: now - 1_000 });
    // Due 30 s ago (no worker here to move it), and one due in an hour.
    await queue.add('d', {}, { delay: 30_000, timestamp: now - 60_000 });
    await queue.add('d', {}, { delay: 3_600_000 });

    const reading = await readQueue(isolated.redis, queue, now);
    expect(reading.counts).toMatchObject({ waiting: 2, prioritized: 3, delayed: 2, active: 0 });
    expect(reading.oldestAgeSeconds.waiting).toBeCloseTo(10, 0);
    expect(reading.oldestAgeSeconds.prioritized).toBeCloseTo(90, 0);
    expect(reading.overdueSeconds).toBeCloseTo(30, 0);

    const metrics = createMetrics({ service: 'worker', defaults: false }).watchQueues(isolated.redis, [
      queue,
    ]);
    const samples = parseExposition((await metrics.render()).body);
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    expect(value('reelay_queue_jobs', { queue: '{videos}', state: 'prioritized' })).toBe(3);
    expect(value('bullmq_job_count', { queue: '{videos}', state: 'prioritized' })).toBe(3);
    expect(value('reelay_queue_delayed_overdue_seconds', { queue: '{videos}' })).toBeGreaterThan(29);
  });
});
