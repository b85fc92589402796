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
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    jobCount: () => queue.count(),
    async close() {
      await app.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
