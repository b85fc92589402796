import {
  createRenderQueue,
  enqueueRender,
  type NewVideo,
  newRecord,
  RENDER_JOB,
  renderJobOptions,
  VideoStore,
} from '@reelay/jobs';
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
    const record = benchRecord(request.body);
    await store.create(record);
    await enqueueRender(queue, record);
    return { id: record.id };
  });
  return listen(app, queue, [storeConnection, queueConnection]);
}

/**
 * The other design, for comparison: no record of Reelay's at create, one `queue.add` whose data is the
 * whole video (as if the BullMQ job were the record until a worker took it). The same job options as
 * the api's. What a single-write create could reach, before auth, validation and the video object.
 */
export async function startJobAsRecord(redisUrl: string, prefix: string): Promise<MinimalServer> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = createRenderQueue(connection, prefix);
  const app = Fastify({ logger: false });
  app.post('/v1/videos', async (request) => {
    const record = benchRecord(request.body);
    await queue.add(RENDER_JOB, record, renderJobOptions(record));
    return { id: record.id };
  });
  return listen(app, queue, [connection]);
}

/** The record Reelay's create would store for the bench's body, with the defaults validation would add. */
function benchRecord(requestBody: unknown) {
  const body: NewVideo['body'] = {
    model: 'sora-2',
    size: '720x1280',
    priority: 'normal',
    ...(requestBody as { prompt: string; seconds: '4' }),
  };
  return newRecord({
    tenant: 'bench',
    body,
    inputReference: null,
    pricePerSecond: 0.1,
    idempotencyKey: null,
  });
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
