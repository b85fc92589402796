import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newRecord, VideoStore } from '@reelay/jobs';
import { createLogger } from '@reelay/logger';
import { parseAllowList } from '@reelay/netguard';
import { type IsolatedRedis, isolatedRedis } from '@reelay/testkit';
import type { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Endpoints } from './endpoints.ts';
import { createGuardedSend } from './http.ts';
import { WebhookNotifier } from './notifier.ts';
import { createWebhookQueue, wakeDelivery } from './queue.ts';
import { WebhookSecrets } from './secrets.ts';
import { WebhookSender } from './sender.ts';
import { createWebhookWorker } from './worker.ts';

// The per-endpoint line of parked deliveries, on real Redis and BullMQ against a real (failing) HTTP
// endpoint: a delivery that ran and failed must wait out its retry delay, whatever is left in the line.

let redis: IsolatedRedis;
let server: Server;
let queue: Queue;
let worker: Worker | undefined;
let workerConnection: Redis;
let http: ReturnType<typeof createGuardedSend>;
const hits: Array<{ id: string; at: number }> = [];

beforeEach(async () => {
  redis = await isolatedRedis('parking');
  hits.length = 0;
  server = createServer((req, res) => {
    hits.push({ id: String(req.headers['webhook-id']), at: Date.now() });
    req.resume();
    // Slow enough that deliveries queue behind the cap of 1, then a failure.
    setTimeout(() => res.writeHead(500).end('down'), 100);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  queue = createWebhookQueue(redis.redis, redis.prefix);
  // BullMQ workers block on their connection: it must wait out Redis rather than fail a command.
  workerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
  http = createGuardedSend({ requireHttps: false, allow: parseAllowList(['127.0.0.1']) });
});

afterEach(async () => {
  await worker?.close();
  workerConnection.disconnect();
  await queue.close();
  await http.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await redis.cleanup();
});

it('never wakes a delivery out of its retry delay through a stale place in the line', async () => {
  const store = new VideoStore(redis.redis, redis.prefix);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const notifier = new WebhookNotifier(queue, store);
  const sender = new WebhookSender({
    redis: redis.redis,
    prefix: redis.prefix,
    store,
    secrets: new WebhookSecrets(redis.redis, redis.prefix),
    send: http.send,
    presign: async (key) => `https://s3.invalid/${key}`,
    wake: wakeDelivery(queue),
    logger: createLogger({ service: 'test', level: 'silent' }),
    options: {
      // One retry, a minute later: nothing here may be tried twice within the test.
      retry: { schedule: [60_000], scale: 1, jitter: 0 },
      timeoutMs: 2_000,
      endpointConcurrency: 1,
      disableAfterMs: 3_600_000,
    },
  });
  // A short safety delay makes parked jobs wake by themselves, which is what leaves stale entries.
  worker = createWebhookWorker(
    workerConnection,
    redis.prefix,
    sender,
    createLogger({ service: 'test', level: 'silent' }),
    {
      concurrency: 8,
      parkSafetyMs: 150,
    },
  );
  void worker.run();
  for (let i = 0; i < 20; i++) {
    const record = {
      ...newRecord({
        tenant: 't1',
        body: {
          prompt: `p${i}`,
          model: 'sora-2',
          size: '720x1280',
          seconds: '4',
          priority: 'normal',
          webhook_url: url,
        },
        inputReference: null,
        pricePerSecond: 0.1,
        idempotencyKey: null,
      }),
      status: 'completed' as const,
      step: 'notify',
    };
    await store.create(record);
    await notifier.event(record, 'video.completed');
  }
  await new Promise((r) => setTimeout(r, 3_500));
  const perMessage = new Map<string, number>();
  for (const { id } of hits) perMessage.set(id, (perMessage.get(id) ?? 0) + 1);
  // Every message had its first attempt (one at a time, 100 ms each) and none a second one.
  expect(perMessage.size).toBe(20);
  expect(Math.max(...perMessage.values())).toBe(1);
});

it('disables an endpoint only after a streak of failures, not one hiccup long after an old streak', async () => {
  const endpoints = new Endpoints(redis.redis, redis.prefix);
  const origin = 'https://hooks.example.com';
  // disable after 1,000 ms of failing; failures more than 500 ms apart start a new streak
  expect(await endpoints.failed(origin, 1_000, 500, 0)).toMatchObject({ failingSince: 0, disabled: false });
  expect(await endpoints.failed(origin, 1_000, 500, 400)).toMatchObject({ failingSince: 0, disabled: false });
  // Quiet for long, then one failure: a new streak, not "failing since 0".
  expect(await endpoints.failed(origin, 1_000, 500, 5_000)).toMatchObject({
    failingSince: 5_000,
    disabled: false,
  });
  expect(await endpoints.failed(origin, 1_000, 500, 5_400)).toMatchObject({ disabled: false });
  expect(await endpoints.failed(origin, 1_000, 500, 5_800)).toMatchObject({ disabled: false });
  expect(await endpoints.failed(origin, 1_000, 500, 6_100)).toMatchObject({
    failingSince: 5_000,
    disabled: true,
    newlyDisabled: true,
  });
  await endpoints.succeeded(origin);
  expect((await endpoints.state(origin)).disabledAt).toBe(6_100);
});
