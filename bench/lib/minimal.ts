import { createRenderQueue, enqueueRender, type NewVideo, newRecord, VideoStore } from '@reelay/jobs';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

export interface MinimalServer {
  url: string;
  /** Jobs in its queue: every 2xx must have left one. */
  jobCount(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The floor Reelay is compared with: the same Fastify, one route that parses the JSON body and calls
 * `queue.add`, nothing else (no auth, no validation, no idempotency, no record). It answers the job id.
 */
export async function startMinimal(redisUrl: string, prefix: string): Promise<MinimalServer> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue('bench-minimal', { connection, prefix });
  const app = Fastify({ logger: false });
  app.post('/v1/videos', async (request) => {
    const job = await queue.add('render', request.body);
    return { id: job.id };
  });
  return listen(app, queue, [connection]);
}

/**
 * The minimal route plus Reelay's persistence and nothing else: the record write and the job add the
 * create endpoint makes (the same `VideoStore.create` and `enqueueRender`, on two connections like the
 * api), without auth, validation, idempotency, logging, metrics or the video object in the answer.
 * What Reelay's create can reach at best while it keeps a durable record: the gap between this row and
 * the minimal one is the cost of the record alone.
 */
export async function startRecordFloor(redisUrl: string, prefix: string): Promise<MinimalServer> {
  const storeConnection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queueConnection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const store = new VideoStore(storeConnection, prefix);
  const queue = createRenderQueue(queueConnection, prefix);
  const app = Fastify({ logger: false });
  app.post('/v1/videos', async (request) => {
    // What validation would have filled in; the bench body carries prompt and seconds.
    const body: NewVideo['body'] = {
      model: 'sora-2',
      size: '720x1280',
      priority: 'normal',
      ...(request.body as { prompt: string; seconds: '4' }),
    };
    const record = newRecord({
      tenant: 'bench',
      body,
      inputReference: null,
      pricePerSecond: 0.1,
      idempotencyKey: null,
    });
    await store.create(record);
    await enqueueRender(queue, record);
    return { id: record.id };
  });
  return listen(app, queue, [storeConnection, queueConnection]);
}

async function listen(
  app: ReturnType<typeof Fastify>,
  queue: Queue,
  connections: Redis[],
): Promise<MinimalServer> {
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    jobCount: () => queue.count(),
    async close() {
      await app.close();
      await queue.close();
      for (const connection of connections) connection.disconnect();
    },
  };
}
