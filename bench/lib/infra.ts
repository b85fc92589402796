import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { startRedisServer, startS3Server } from '@reelay/localstack';
import { createS3, ensureBucket } from '@reelay/storage';
import { Redis } from 'ioredis';
import type { S3Given } from './cli.ts';

export interface BenchInfra {
  redisUrl: string;
  /** `env` when given through REDIS_URL / S3_ENDPOINT, `spawned` when started here. */
  source: { redis: 'env' | 'spawned'; s3: 'env' | 'spawned' };
  redisVersion: string;
  /** Its process id on this machine, to tell its CPU from other processes'; null when not local. */
  redisPid: number | null;
  /** A bucket of this run's own; S3_* settings for the api. */
  s3Env: Record<string, string>;
  /** Deletes every key under `prefix` (SCAN + UNLINK). */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Waits until Redis is quiet: no AOF rewrite running or scheduled and nothing left for its lazy-free
   * thread (the previous run's UNLINKs), either of which would take a core from the next run.
   */
  settle(): Promise<void>;
  /** Redis's fork count so far: a difference over a run tells that an AOF rewrite ran during it. */
  forks(): Promise<number>;
  /** Deletes this run's keys and bucket, then stops whatever was started here. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The Redis and S3 both sides share: the given ones, or a private redis-server (the project's
 * redis.conf: AOF everysec, noeviction) and the embedded S3 server in a scratch directory.
 */
export async function startInfra(options: {
  redisUrl: string | null;
  s3: S3Given | null;
  /** This run's key prefix and bucket name. */
  runId: string;
}): Promise<BenchInfra> {
  const stops: Array<() => Promise<unknown>> = [];
  const scratch = mkdtempSync(join(tmpdir(), 'reelay-bench-'));
  stops.push(async () => rmSync(scratch, { recursive: true, force: true }));
  const close = once(async () => {
    for (const stop of stops.reverse())
      await stop().catch((e: Error) => console.error(`cleanup: ${e.message}`));
  });
  try {
    let redisUrl = options.redisUrl;
    let redisPid: number | null = null;
    if (!redisUrl) {
      const server = await startRedisServer({ dir: join(scratch, 'redis') });
      stops.push(() => server.stop());
      redisUrl = server.url;
      redisPid = server.process.pid ?? null;
    }
    const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    stops.push(async () => admin.disconnect());
    if (options.redisUrl) {
      // A shared Redis outlives the run: take back every key the run left (a spawned one is just
      // discarded with its directory).
      stops.push(() => deleteByPrefix(admin, `${options.runId}:`));
    }

    const s3Conf = options.s3 ?? (await spawnS3(join(scratch, 's3'), stops));
    const s3 = createS3(s3Conf);
    await ensureBucket(s3, options.runId);
    // JSON creates store nothing in S3, so the bucket is empty again by the end.
    stops.push(async () => {
      await s3.send(new DeleteBucketCommand({ Bucket: options.runId }));
      s3.destroy();
    });

    const serverInfo = await info(admin, 'server');
    const host = new URL(redisUrl).hostname;
    if (redisPid === null && (host.startsWith('127.') || host === 'localhost' || host === '[::1]')) {
      redisPid = Number(serverInfo.process_id) || null;
    }
    return {
      redisUrl,
      redisPid,
      source: { redis: options.redisUrl ? 'env' : 'spawned', s3: options.s3 ? 'env' : 'spawned' },
      redisVersion: serverInfo.redis_version ?? 'unknown',
      s3Env: {
        S3_ENDPOINT: s3Conf.endpoint,
        S3_REGION: s3Conf.region,
        S3_ACCESS_KEY_ID: s3Conf.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3Conf.secretAccessKey,
        S3_BUCKET: options.runId,
      },
      deletePrefix: (prefix) => deleteByPrefix(admin, prefix),
      async settle() {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const persistence = await info(admin, 'persistence');
          const memory = await info(admin, 'memory');
          const busy =
            persistence.aof_rewrite_in_progress === '1' ||
            persistence.aof_rewrite_scheduled === '1' ||
            Number(memory.lazyfree_pending_objects ?? 0) > 0;
          if (!busy || Date.now() > deadline) return;
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      forks: () => forks(admin),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function spawnS3(dir: string, stops: Array<() => Promise<unknown>>): Promise<S3Given> {
  const server = await startS3Server({ dir });
  stops.push(() => server.stop());
  return server;
}

async function info(redis: Redis, section: string): Promise<Record<string, string>> {
  const text = await redis.info(section);
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
}

async function forks(redis: Redis): Promise<number> {
  return Number((await info(redis, 'stats')).total_forks ?? 0);
}

/** SCAN + UNLINK in batches: never a blocking KEYS on a Redis others may be using. */
async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}
