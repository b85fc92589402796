import { createServer } from 'node:net';
import { type ApiEnv, apiEnvSchema, startApi } from '@reelay/api';
import type { VideoObject } from '@reelay/contracts';
import { parseExposition, type Sample } from '@reelay/metrics';
import { ApiKeyStore } from '@reelay/tenants';
import { infra, waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from './receiver.ts';
import { type PipelineStack, startPipelineStack } from './stack.ts';

// A short real run (simulator, api and worker in this process, real Redis and S3), then both processes'
// /metrics read back and checked against what was done: the provider's own counts, the videos' stored
// bytes and costs, the webhook receiver.

const ALLOW = { WEBHOOK_ALLOW: '127.0.0.1' };
const TOKEN = 'metrics-token-for-tests-0123';
let stack: PipelineStack;
let hook: Receiver;
let videos: VideoObject[];

/** Sum of the samples of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
const has = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

async function scrape(url: string, bearer?: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseExposition(await response.text());
}

beforeAll(async () => {
  stack = await startPipelineStack({
    api: { ...ALLOW, METRICS_TOKEN: TOKEN },
    worker: { ...ALLOW, WEBHOOK_RETRY_SCALE: '0.0005' },
  });
  hook = await new Receiver().start();
  // The first create is refused with a 429 (and a 20 ms retry-after): rate limited, then sent again.
  stack.sim.addFaults({ op: 'create', kind: '429', count: 1, delayMs: 20 });
  const created = await Promise.all([
    stack.create({ prompt: 'metrics: a heron at dawn', webhook_url: hook.url }),
    stack.create({ prompt: 'metrics: a tram in the rain', model: 'sora-2-pro', size: '1280x720' }),
    stack.createAs('beta', { prompt: 'metrics: a lantern festival', seconds: '8' }),
    stack.create({ prompt: 'metrics: [blocked] content' }),
  ]);
  videos = await Promise.all(created.map(({ id }, i) => stack.settle(id, 20_000, i === 2 ? 'beta' : 'acme')));
  await waitFor(async () => hook.received.length >= 1 || undefined, { what: 'the completion webhook' });
}, 60_000);

afterAll(async () => {
  await hook?.stop();
  await stack?.close();
});

describe('worker /metrics after a short run', () => {
  let samples: Sample[];
  beforeAll(async () => {
    expect(videos.map((v) => v.status)).toEqual(['completed', 'completed', 'completed', 'failed']);
    // A video reads completed a moment before BullMQ completes its job, and the receiver has its webhook
    // a moment before the attempt is logged and its job completed: wait for the queues to settle.
    await waitFor(
      async () => {
        samples = await scrape(stack.worker.healthUrl);
        const settled =
          total(samples, 'reelay_webhook_attempts_total') >= 1 &&
          total(samples, 'reelay_queue_jobs', { queue: '{videos}', state: 'completed' }) === 4 &&
          total(samples, 'reelay_queue_jobs', { queue: '{webhooks}', state: 'completed' }) === 1;
        return settled || undefined;
      },
      { what: 'the queues to settle' },
    );
  });

  it('shows queue depth, oldest age and lateness for both queues, and BullMQ exporter output', () => {
    for (const queue of ['{videos}', '{webhooks}']) {
      for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed']) {
        expect(has(samples, 'reelay_queue_jobs', { queue, state }), `${queue} ${state}`).toBe(true);
      }
      expect(has(samples, 'reelay_queue_oldest_job_age_seconds', { queue, state: 'prioritized' })).toBe(true);
      expect(has(samples, 'reelay_queue_delayed_overdue_seconds', { queue })).toBe(true);
      expect(has(samples, 'bullmq_job_count', { queue, state: 'completed' })).toBe(true);
    }
    // Every render job finished: nothing waits, and the four are in BullMQ's completed set.
    expect(total(samples, 'reelay_queue_jobs', { queue: '{videos}', state: 'completed' })).toBe(4);
    expect(total(samples, 'reelay_queue_jobs', { queue: '{videos}', state: 'prioritized' })).toBe(0);
    expect(total(samples, 'reelay_queue_oldest_job_age_seconds', { queue: '{videos}' })).toBe(0);
    expect(total(samples, 'bullmq_job_count', { queue: '{videos}', state: 'completed' })).toBe(4);
    expect(total(samples, 'bullmq_job_completed_total', { queue: '{videos}' })).toBe(4);
    expect(total(samples, 'bullmq_job_completed_total', { queue: '{webhooks}' })).toBe(1);
    expect(total(samples, 'reelay_metrics_collect_errors_total')).toBe(0);
  });

  it('times every step run, by step and outcome', () => {
    // Each video was submitted (the refused one twice) and polled; each ended in exactly one run.
    expect(total(samples, 'reelay_step_duration_seconds_count', { step: 'submit' })).toBeGreaterThanOrEqual(
      5,
    );
    expect(total(samples, 'reelay_step_duration_seconds_count', { step: 'poll' })).toBeGreaterThanOrEqual(4);
    expect(total(samples, 'reelay_step_duration_seconds_count', { outcome: 'done' })).toBeGreaterThanOrEqual(
      4,
    );
    expect(total(samples, 'reelay_step_duration_seconds_count', { outcome: 'error' })).toBe(0);
    expect(has(samples, 'reelay_step_duration_seconds_bucket', { step: 'poll', le: '+Inf' })).toBe(true);
    expect(total(samples, 'reelay_videos_finished_total', { status: 'completed' })).toBe(3);
    expect(total(samples, 'reelay_videos_finished_total', { status: 'failed' })).toBe(1);
  });

  it('counts provider requests exactly as the provider saw them, 429s included', async () => {
    const stats = await stack.sim.stats({ hash: false });
    for (const op of ['create', 'retrieve', 'list', 'content'] as const) {
      for (const [status, n] of Object.entries(stats.ops[op]?.statuses ?? {})) {
        expect(
          total(samples, 'reelay_provider_requests_total', { account: 'sim', op, status }),
          `${op} ${status}`,
        ).toBe(n);
      }
    }
    expect(total(samples, 'reelay_provider_requests_total')).toBe(stats.totals.requests);
    expect(total(samples, 'reelay_provider_requests_total', { op: 'create', status: '429' })).toBe(1);
    expect(total(samples, 'reelay_provider_rate_limited_total', { account: 'sim' })).toBe(1);
    expect(
      total(samples, 'reelay_provider_request_duration_seconds_count', { op: 'create', status_class: '4xx' }),
    ).toBe(1);
    expect(total(samples, 'reelay_provider_request_duration_seconds_count')).toBe(stats.totals.requests);
  });

  it('shows slots in flight against the configured cap', () => {
    expect(total(samples, 'reelay_provider_concurrency_cap', { account: 'sim' })).toBe(4);
    expect(total(samples, 'reelay_provider_in_flight', { account: 'sim' })).toBe(0);
    const rpm = total(samples, 'reelay_provider_effective_rpm', { account: 'sim' });
    expect(rpm).toBeGreaterThan(0);
    // The one 429 (on a video's first create) halved the account's request budget.
    expect(rpm).toBeLessThan(60_000);
  });

  it('counts stored bytes and upload times per variant, matching the stored outputs', () => {
    const outputs = videos.flatMap((v) => v.reelay.outputs);
    for (const variant of ['video', 'thumbnail', 'spritesheet']) {
      const stored = outputs.filter((o) => o.variant === variant);
      const bytes = stored.reduce((sum, o) => sum + o.bytes, 0);
      expect(bytes).toBeGreaterThan(0);
      expect(total(samples, 'reelay_storage_uploaded_bytes_total', { variant })).toBe(bytes);
      expect(total(samples, 'reelay_storage_upload_duration_seconds_count', { variant })).toBe(stored.length);
    }
  });

  it('adds up spend per tenant and model from the completed videos', () => {
    const expected = new Map<string, number>();
    for (const video of videos.filter((v) => v.status === 'completed')) {
      const key = `${video.reelay.tenant}/${video.model}`;
      expected.set(key, (expected.get(key) ?? 0) + video.reelay.cost.usd);
    }
    expect([...expected.keys()].sort()).toEqual(['acme/sora-2', 'acme/sora-2-pro', 'beta/sora-2']);
    for (const [key, usd] of expected) {
      const [tenant, model] = key.split('/') as [string, string];
      expect(usd).toBeGreaterThan(0);
      expect(total(samples, 'reelay_cost_usd_total', { tenant, model })).toBeCloseTo(usd, 6);
    }
    expect(samples.filter((s) => s.name === 'reelay_cost_usd_total')).toHaveLength(3);
  });

  it('counts webhook attempts by event and outcome, with their duration', () => {
    expect(
      total(samples, 'reelay_webhook_attempts_total', { event: 'video.completed', outcome: 'delivered' }),
    ).toBe(hook.received.length);
    expect(total(samples, 'reelay_webhook_attempt_duration_seconds_count', { outcome: 'delivered' })).toBe(
      hook.received.length,
    );
  });

  it('reports the Redis eviction policy and the process metrics', () => {
    expect(total(samples, 'reelay_redis_noeviction')).toBe(1);
    expect(has(samples, 'process_cpu_user_seconds_total')).toBe(true);
    expect(has(samples, 'nodejs_eventloop_lag_seconds')).toBe(true);
    // The api's families are the api's.
    expect(has(samples, 'reelay_http_requests_total')).toBe(false);
  });
});

describe('api /metrics', () => {
  it('refuses without a token or an admin key', async () => {
    expect((await fetch(`${stack.api.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${stack.api.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    // A key without the admin scope is not enough.
    const videosKey = await fetch(`${stack.api.url}/metrics`, {
      headers: { authorization: `Bearer ${stack.key}` },
    });
    expect(videosKey.status).toBe(403);
  });

  it('counts requests by route pattern and status, for METRICS_TOKEN and admin keys', async () => {
    const samples = await scrape(stack.api.metricsUrl, TOKEN);
    expect(stack.api.metricsUrl).toBe(stack.api.url);
    expect(
      total(samples, 'reelay_http_requests_total', { method: 'POST', route: '/v1/videos', status: '200' }),
    ).toBe(4);
    expect(
      total(samples, 'reelay_http_requests_total', {
        method: 'GET',
        route: '/v1/videos/:video_id',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(4);
    expect(total(samples, 'reelay_http_requests_total', { route: '/metrics', status: '401' })).toBe(2);
    expect(total(samples, 'reelay_http_requests_total', { route: '/metrics', status: '403' })).toBe(1);
    // Patterns only: no video id ever becomes a label value.
    const routes = new Set(
      samples.filter((s) => s.name === 'reelay_http_requests_total').map((s) => s.labels.route),
    );
    for (const video of videos) expect([...routes].some((r) => r?.includes(video.id))).toBe(false);
    expect(
      has(samples, 'reelay_http_request_duration_seconds_bucket', {
        method: 'POST',
        route: '/v1/videos',
        status_class: '2xx',
      }),
    ).toBe(true);
    expect(has(samples, 'process_resident_memory_bytes')).toBe(true);
    expect(has(samples, 'reelay_queue_jobs')).toBe(false);

    const admin = await new ApiKeyStore(stack.redis.redis, stack.redis.prefix).create('ops', {
      scopes: ['admin'],
    });
    await scrape(stack.api.url, admin.key);
  });

  it('moves to its own port with METRICS_PORT, open there when no token is set', async () => {
    const port = await freePort();
    const env: ApiEnv = apiEnvSchema.parse({
      ...stack.bucket.env,
      REDIS_URL: infra().redisUrl,
      REDIS_PREFIX: stack.redis.prefix,
      LOG_LEVEL: 'silent',
      PROVIDER_ACCOUNTS: JSON.stringify([
        { id: 'sim', provider: 'openai-videos', baseUrl: `${stack.sim.url}/v1`, apiKey: 'sk-sim' },
      ]),
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      METRICS_PORT: String(port),
    });
    const api = await startApi(env);
    try {
      expect(api.metricsUrl).toBe(`http://127.0.0.1:${port}`);
      expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
      await fetch(`${api.url}/healthz`);
      const samples = await scrape(api.metricsUrl);
      expect(total(samples, 'reelay_http_requests_total', { route: '/healthz', status: '200' })).toBe(1);
    } finally {
      await api.close();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
