import { createHash } from 'node:crypto';
import type { VideoObject } from '@reelay/contracts';
import { createRenderQueue, VideoStore } from '@reelay/jobs';
import { ApiKeyStore } from '@reelay/tenants';
import { waitFor } from '@reelay/testkit';
import { createWebhookQueue, messageId } from '@reelay/webhooks';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from './receiver.ts';
import { type PipelineStack, startPipelineStack } from './stack.ts';

interface Attempt {
  message_id: string;
  event: string;
  attempt: number;
  resend: boolean;
  at: number;
  status_code: number | null;
  error_class: string | null;
  outcome: string;
  next_attempt_at: number | null;
}

const ALLOW = { WEBHOOK_ALLOW: '127.0.0.1' };
let stack: PipelineStack;
const receivers: Receiver[] = [];

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  stack = await startPipelineStack({
    api: ALLOW,
    worker: {
      ...ALLOW,
      // The real schedule (5s, 5m, 30m, 2h, ...) at 1/2000: 2.5 ms, 150 ms, 900 ms, 3.6 s, ...
      WEBHOOK_RETRY_SCALE: '0.0005',
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_ENDPOINT_CONCURRENCY: '2',
      WEBHOOK_CONCURRENCY: '6',
    },
  });
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
});
afterAll(async () => {
  await stack?.close();
});

const secret = async () =>
  ((await (await stack.call('/v1/webhooks/secret')).json()) as { secret: string }).secret;

const deliveriesOf = async (s: PipelineStack, id: string) =>
  ((await (await s.call(`/v1/videos/${id}/deliveries`)).json()) as { data: Attempt[] }).data;

const postTo = (s: PipelineStack, path: string, body: unknown) =>
  s.call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const deliveries = (id: string) => deliveriesOf(stack, id);
const post = (path: string, body: unknown) => postTo(stack, path, body);

/** Headers of a received request as both libraries expect them. */
const signed = (headers: Record<string, string>) => ({
  'webhook-id': headers['webhook-id']!,
  'webhook-timestamp': headers['webhook-timestamp']!,
  'webhook-signature': headers['webhook-signature']!,
});

describe('completion webhooks', () => {
  it('delivers video.completed once, signed per Standard Webhooks (standardwebhooks and svix verify it)', async () => {
    const hook = await receiver();
    const { id } = await stack.create({ prompt: 'a kite over dunes', webhook_url: hook.url });
    const video = await stack.settle(id);
    expect(video.status).toBe('completed');
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 10_000, what: 'the webhook' });

    const [request] = hook.received;
    const key = await secret();
    expect(key).toMatch(/^whsec_/);
    const verified = new Webhook(key).verify(request!.body, signed(request!.headers)) as {
      type: string;
      timestamp: string;
      data: VideoObject & { download_url: string };
    };
    // svix 2.x verifies (throws on a bad message) and returns nothing.
    expect(() => new SvixWebhook(key).verify(request!.body, signed(request!.headers))).not.toThrow();
    expect(() => new SvixWebhook(key).verify(`${request!.body} `, signed(request!.headers))).toThrow();
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(verified.type).toBe('video.completed');
    expect(verified.data.id).toBe(id);
    expect(verified.data.status).toBe('completed');
    expect(Buffer.byteLength(request!.body)).toBeLessThanOrEqual(64 * 1024);

    // The fresh download link fetches exactly the stored video.
    const file = Buffer.from(await (await fetch(verified.data.download_url)).arrayBuffer());
    const output = verified.data.reelay.outputs.find((o) => o.variant === 'video')!;
    expect(createHash('sha256').update(file).digest('hex')).toBe(output.sha256);

    const log = await deliveries(id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      event: 'video.completed',
      attempt: 1,
      status_code: 204,
      outcome: 'delivered',
    });
    expect(log[0]!.message_id).toBe(request!.headers['webhook-id']);
    await waitFor(
      async () =>
        ((await (await stack.call(`/v1/videos/${id}`)).json()) as VideoObject).reelay.webhook?.state ===
        'delivered',
      { timeoutMs: 5_000, what: 'webhook state delivered' },
    );
    // Nothing more arrives later.
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.received).toHaveLength(1);
  });

  it('sends an event once even when the step that enqueues it runs again', async () => {
    const hook = await receiver();
    const { id } = await stack.create({ prompt: 'a red door', webhook_url: hook.url });
    await stack.settle(id);
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 10_000, what: 'the webhook' });
    // As after a crash between the terminal transition and the hand-over: the job is back on `notify`
    // and its render job runs again.
    const store = new VideoStore(stack.redis.redis, stack.redis.prefix);
    await store.patch('acme', id, { step: 'notify' });
    const queue = createRenderQueue(stack.redis.redis, stack.redis.prefix);
    await queue.add('render', { tenant: 'acme', videoId: id }, { jobId: `${id}-again` });
    await waitFor(async () => (await store.get('acme', id))?.step === 'done', {
      timeoutMs: 5_000,
      what: 'the step to end',
    });
    await new Promise((r) => setTimeout(r, 300));
    await queue.close();
    expect(hook.received).toHaveLength(1);
  });

  it('keeps retrying while the receiver is down, then delivers with the same webhook-id', async () => {
    const hook = await receiver();
    await hook.stop(); // nothing listens on its port: connections are refused
    const { id } = await stack.create({ prompt: 'a paper boat', webhook_url: hook.url });
    await stack.settle(id);
    await waitFor(async () => (await deliveries(id)).length >= 2, {
      timeoutMs: 10_000,
      what: 'two failed tries',
    });
    await hook.start();
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 15_000, what: 'the late delivery' });

    const log = await deliveries(id);
    const failed = log.filter((a) => a.outcome === 'retrying');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((a) => a.error_class === 'connect' && a.status_code === null)).toBe(true);
    expect(log[0]).toMatchObject({ outcome: 'delivered', status_code: 204 });
    expect(new Set(log.map((a) => a.message_id))).toEqual(new Set([hook.received[0]!.headers['webhook-id']]));
    // Attempts count up, spaced by the (scaled) schedule.
    expect(log.map((a) => a.attempt).reverse()).toEqual(log.map((_, i) => i + 1));
  });

  it("honors Retry-After within the schedule's bounds", async () => {
    const hook = await receiver();
    hook.behaviour = { status: 429, headers: { 'retry-after': '1' } };
    const { id } = await stack.create({ prompt: 'a slow tide', webhook_url: hook.url });
    await stack.settle(id);
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 10_000, what: 'the first try' });
    hook.behaviour = { status: 200 };
    await waitFor(() => hook.received.length >= 2, { timeoutMs: 10_000, what: 'the retry' });
    const gap = hook.received[1]!.at - hook.received[0]!.at;
    // The schedule's own first delay is 2.5 ms here; the endpoint asked for 1 s.
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(5_000);
    const log = await deliveries(id);
    expect(log.at(-1)).toMatchObject({ status_code: 429, outcome: 'retrying', error_class: 'http_status' });
  });

  it('stops at 410 Gone', async () => {
    const hook = await receiver();
    hook.behaviour = { status: 410 };
    const { id } = await stack.create({ prompt: 'a closed shop', webhook_url: hook.url });
    await stack.settle(id);
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 10_000, what: 'the try' });
    await new Promise((r) => setTimeout(r, 800));
    expect(hook.received).toHaveLength(1);
    expect(await deliveries(id)).toEqual([expect.objectContaining({ outcome: 'gone', status_code: 410 })]);
  });

  it('resends a delivered message with the same webhook-id on request', async () => {
    const hook = await receiver();
    const { id } = await stack.create({ prompt: 'an echo', webhook_url: hook.url });
    await stack.settle(id);
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 10_000, what: 'the webhook' });
    const response = await post(`/v1/videos/${id}/deliveries/resend`, {});
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ event: 'video.completed' });
    await waitFor(() => hook.received.length >= 2, { timeoutMs: 10_000, what: 'the resend' });
    expect(hook.received[1]!.headers['webhook-id']).toBe(hook.received[0]!.headers['webhook-id']);
    const log = await deliveries(id);
    expect(log[0]).toMatchObject({ resend: true, outcome: 'delivered', attempt: 1 });
  });

  it('refuses a resend for a video without a webhook, naming why', async () => {
    const { id } = await stack.create({ prompt: 'no hook' });
    await stack.settle(id);
    const response = await post(`/v1/videos/${id}/deliveries/resend`, {});
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /no webhook_url/,
    );

    // An event the video never subscribed to (the default is the three final events) is not a resend.
    const hook = await receiver();
    const { id: subscribed } = await stack.create({ prompt: 'default events', webhook_url: hook.url });
    await stack.settle(subscribed);
    const progress = await post(`/v1/videos/${subscribed}/deliveries/resend`, { event: 'video.progress' });
    expect(progress.status).toBe(409);
    expect(await progress.json()).toMatchObject({
      error: { param: 'event', message: expect.stringMatching(/did not subscribe/) },
    });
  });

  it('signs with both secrets during a rotation, and only the new one after it', async () => {
    const hook = await receiver();
    const old = await secret();
    const rotated = (await (await post('/v1/webhooks/secret/rotate', { grace_seconds: 3600 })).json()) as {
      secret: string;
      previous_valid_until: number;
    };
    expect(rotated.secret).not.toBe(old);
    expect(rotated.previous_valid_until).toBeGreaterThan(Date.now() / 1000 + 3500);

    const { id } = await stack.create({ prompt: 'two keys', webhook_url: hook.url });
    await stack.settle(id);
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 10_000, what: 'the webhook' });
    const during = hook.received[0]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const key of [old, rotated.secret]) {
      expect(() => new Webhook(key).verify(during.body, signed(during.headers))).not.toThrow();
      expect(() => new SvixWebhook(key).verify(during.body, signed(during.headers))).not.toThrow();
    }

    // A rotation without grace: the previous secret stops signing at once.
    const last = (await (await post('/v1/webhooks/secret/rotate', { grace_seconds: 0 })).json()) as {
      secret: string;
      previous_valid_until: number | null;
    };
    expect(last.previous_valid_until).toBeNull();
    const { id: id2 } = await stack.create({ prompt: 'one key', webhook_url: hook.url });
    await stack.settle(id2);
    await waitFor(() => hook.received.length >= 2, { timeoutMs: 10_000, what: 'the second webhook' });
    const after = hook.received[1]!;
    expect(() => new Webhook(last.secret).verify(after.body, signed(after.headers))).not.toThrow();
    expect(() => new Webhook(rotated.secret).verify(after.body, signed(after.headers))).toThrow();
  });

  it('answers a test event request with the attempt, signed with the tenant secret', async () => {
    const hook = await receiver();
    const response = await post('/v1/webhooks/test', { url: hook.url });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      event: 'webhook.test',
      status_code: 204,
      outcome: 'delivered',
    });
    const payload = new Webhook(await secret()).verify(
      hook.received[0]!.body,
      signed(hook.received[0]!.headers),
    ) as { type: string };
    expect(payload.type).toBe('webhook.test');

    hook.behaviour = { status: 500 };
    expect(await (await post('/v1/webhooks/test', { url: hook.url })).json()).toMatchObject({
      status_code: 500,
      outcome: 'failed',
      error_class: 'http_status',
    });
  });

  it('refuses webhook URLs aimed at internal addresses at create time', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.8/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.2]/hook',
      'http://user:pass@example.com/hook',
      'http://localhost:8080/hook',
      'http://api.localhost/hook',
    ]) {
      const response = await post('/v1/videos', { prompt: 'p', webhook_url: url });
      expect(response.status, url).toBe(400);
      expect(((await response.json()) as { error: { param: string } }).error.param).toBe('webhook_url');
    }
  });
});

describe('a slow endpoint', () => {
  it("never delays another endpoint's deliveries", async () => {
    const slow = await receiver();
    slow.behaviour = { hang: true };
    const healthy = await receiver();
    // More hung deliveries than the worker has delivery slots (6): without the per-endpoint cap (2) they
    // would take every slot for the 1.5 s timeout, again and again.
    const slowIds = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stack.create({ prompt: `slow ${i}`, webhook_url: slow.url })),
    );
    await waitFor(() => slow.received.length >= 2, { timeoutMs: 10_000, what: 'the slow endpoint to hang' });
    const fast = await Promise.all(
      Array.from({ length: 3 }, (_, i) => stack.create({ prompt: `fast ${i}`, webhook_url: healthy.url })),
    );
    const done = await Promise.all(
      fast.map(async ({ id }) => {
        await stack.settle(id);
        return { id, at: Date.now() };
      }),
    );
    await waitFor(() => healthy.received.length >= 3, { timeoutMs: 5_000, what: 'the healthy deliveries' });
    // Each healthy delivery arrived about when its video was seen completed: well under one hung timeout
    // (1.5 s), which is what waiting behind the slow endpoint's deliveries would cost.
    for (const video of done) {
      const got = healthy.received.find((r) => JSON.parse(r.body).data.id === video.id)!;
      expect(got.at - video.at).toBeLessThan(1_000);
    }
    // The hung endpoint never had more than its cap in flight, however many deliveries waited for it.
    expect(slow.maxInFlight).toBe(2);
    // Its waiting deliveries sleep until a slot frees instead of polling for one: each was taken up
    // about once per freed slot, not every few hundred ms (which would be dozens of times by now).
    const queue = createWebhookQueue(stack.redis.redis, stack.redis.prefix);
    const jobs = (
      await Promise.all(slowIds.map(({ id }) => queue.getJob(messageId(id, 'video.completed'))))
    ).filter((job) => job !== undefined);
    await queue.close();
    expect(jobs.length).toBeGreaterThanOrEqual(4);
    // Within one request timeout no slot has freed yet: a parked job has been taken up once (twice if
    // a slot freed between its refusal and its parking); polling would be at several by now.
    expect(Math.max(...jobs.map((job) => job.attemptsStarted))).toBeLessThanOrEqual(2);
  });
});

describe('an endpoint that keeps failing', () => {
  let short: PipelineStack;
  beforeAll(async () => {
    short = await startPipelineStack({
      api: ALLOW,
      worker: {
        ...ALLOW,
        WEBHOOK_RETRY_SCHEDULE: '30ms,60ms,1s',
        WEBHOOK_DISABLE_AFTER: '1500ms',
        WEBHOOK_TIMEOUT_MS: '1000',
      },
    });
  });
  afterAll(async () => {
    await short?.close();
  });
  const log = (id: string) => deliveriesOf(short, id);
  const send = (path: string, body: unknown) => postTo(short, path, body);

  it('gives up after the last retry, and recovery sends the message again once the endpoint is back', async () => {
    const hook = await receiver();
    hook.behaviour = { status: 503 };
    const since = Math.floor(Date.now() / 1000);
    const { id } = await short.create({ prompt: 'a broken pipe', webhook_url: hook.url });
    await short.settle(id);
    await waitFor(async () => (await log(id)).some((a) => a.outcome === 'failed'), {
      timeoutMs: 10_000,
      what: 'the message to give up',
    });
    expect((await log(id)).map((a) => a.outcome)).toEqual(['failed', 'retrying', 'retrying', 'retrying']);
    expect(hook.received).toHaveLength(4);
    const video = (await (await short.call(`/v1/videos/${id}`)).json()) as VideoObject;
    expect(video.reelay.webhook).toMatchObject({ state: 'failed', attempts: 4 });

    hook.behaviour = { status: 200 };
    const recovered = await send('/v1/webhooks/recover', { since });
    expect(await recovered.json()).toEqual({ object: 'webhook.recover', recovered: 1 });
    await waitFor(() => hook.received.length >= 5, { timeoutMs: 10_000, what: 'the recovered delivery' });
    expect(hook.received[4]!.headers['webhook-id']).toBe(hook.received[0]!.headers['webhook-id']);
    await waitFor(async () => (await log(id))[0]?.outcome === 'delivered', { timeoutMs: 5_000, what: 'log' });
    // Recovered messages leave the index: a second recovery finds nothing.
    expect(await (await send('/v1/webhooks/recover', { since })).json()).toMatchObject({ recovered: 0 });
  });

  it('is disabled after failing for longer than WEBHOOK_DISABLE_AFTER, with an ops event; enabling brings it back', async () => {
    const hook = await receiver();
    hook.behaviour = { status: 500 };
    const first = await short.create({ prompt: 'failing 1', webhook_url: hook.url });
    await short.settle(first.id);
    await waitFor(async () => (await log(first.id)).some((a) => a.outcome === 'failed'), {
      timeoutMs: 10_000,
      what: 'the first message to give up',
    });
    await new Promise((r) => setTimeout(r, 1_600));
    const second = await short.create({ prompt: 'failing 2', webhook_url: hook.url });
    await short.settle(second.id);
    await waitFor(async () => (await log(second.id)).some((a) => a.outcome === 'failed'), {
      timeoutMs: 10_000,
      what: 'the failure that disables the endpoint',
    });
    const admin = await adminKey(short);
    const endpoint = await (
      await short.call(`/admin/webhooks/endpoint?url=${encodeURIComponent(hook.url)}`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).json();
    expect(endpoint).toMatchObject({
      endpoint: `http://127.0.0.1:${hook.port}`,
      disabled_at: expect.any(Number),
    });
    const events = await short.redis.redis.xrange(`${short.redis.prefix}:ops:events`, '-', '+');
    expect(events.map(([, fields]) => fields)).toContainEqual([
      'type',
      'webhook.endpoint.disabled',
      'endpoint',
      `http://127.0.0.1:${hook.port}`,
      'failingSince',
      expect.any(String),
    ]);

    // While disabled, nothing is sent: the message is logged as such and kept for recovery.
    hook.behaviour = { status: 200 };
    const before = hook.received.length;
    const third = await short.create({ prompt: 'while disabled', webhook_url: hook.url });
    await short.settle(third.id);
    await waitFor(async () => (await log(third.id)).length === 1, { timeoutMs: 5_000, what: 'the skip' });
    expect((await log(third.id))[0]).toMatchObject({ outcome: 'failed', error_class: 'endpoint_disabled' });
    expect(hook.received).toHaveLength(before);

    const enabled = await short.call('/admin/webhooks/endpoint/enable', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: hook.url }),
    });
    expect(await enabled.json()).toMatchObject({ disabled_at: null, failing_since: null });
    await send('/v1/webhooks/recover', { since: 0 });
    await waitFor(async () => (await log(third.id))[0]?.outcome === 'delivered', {
      timeoutMs: 10_000,
      what: 'delivery after enabling',
    });
  });
});

describe('the SSRF guard at delivery time', () => {
  it('blocks a hostname that resolves to a loopback address, logging why', async () => {
    // No allow-list at all: the production setting.
    const strict = await startPipelineStack({ worker: { WEBHOOK_RETRY_SCHEDULE: '10ms' } });
    try {
      const hook = await receiver();
      // `localhost` itself is refused at create time; a name is only resolved when sending. Stand in for
      // a public name that resolves to loopback by the time the video completes (DNS rebinding).
      const { id } = await strict.create({
        prompt: 'sneaky #sim(render_ms=600)',
        webhook_url: 'https://example.com/hook',
      });
      await new VideoStore(strict.redis.redis, strict.redis.prefix).patch('acme', id, {
        webhookUrl: `http://localhost:${hook.port}/hook`,
      });
      await strict.settle(id);
      const attempts = await waitFor(
        async () => {
          const data = await deliveriesOf(strict, id);
          return data.some((a) => a.outcome === 'failed') ? data : undefined;
        },
        { timeoutMs: 10_000, what: 'the blocked attempts' },
      );
      expect(attempts.length).toBe(2);
      expect(attempts.every((a) => a.error_class === 'blocked')).toBe(true);
      expect(hook.received).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});

async function adminKey(s: PipelineStack): Promise<string> {
  return (await new ApiKeyStore(s.redis.redis, s.redis.prefix).create('ops', { scopes: ['admin'] })).key;
}
