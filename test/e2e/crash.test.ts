import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { apiEnvSchema, startApi } from '@reelay/api';
import type { VideoObject } from '@reelay/contracts';
import { startSimulator } from '@reelay/simulator';
import { ApiKeyStore } from '@reelay/tenants';
import { infra, isolatedBucket, isolatedRedis, type NodeProcess, runNode } from '@reelay/testkit';
import { expect, it } from 'vitest';

const JOBS = 24;
const MiB = 1024 * 1024;

/**
 * kill -9 worker processes at random moments while jobs go through every step (submit, poll, download,
 * upload): every job must still finish, the provider must have seen exactly one create per job, and
 * every stored object must be byte-for-byte what the provider rendered.
 */
it('survives workers killed at random points', { timeout: 180_000 }, async () => {
  const sim = await startSimulator({ SIM_TIME_FACTOR: 0.004, SIM_CONCURRENCY: 12 });
  const redis = await isolatedRedis();
  const bucket = await isolatedBucket();
  const accounts = JSON.stringify([
    {
      id: 'sim',
      provider: 'openai-videos',
      baseUrl: `${sim.url}/v1`,
      apiKey: 'sk-crash',
      concurrency: 6,
      rpm: 100_000,
    },
  ]);
  const env = {
    ...bucket.env,
    REDIS_URL: infra().redisUrl,
    REDIS_PREFIX: redis.prefix,
    PROVIDER_ACCOUNTS: accounts,
    LOG_LEVEL: 'warn',
  };
  const api = await startApi(
    apiEnvSchema.parse({ ...env, API_HOST: '127.0.0.1', API_PORT: '0', LOG_LEVEL: 'silent' }),
  );
  const { key } = await new ApiKeyStore(redis.redis, redis.prefix).create('crash');
  const workerEnv = {
    ...env,
    WORKER_HEALTH_PORT: '0',
    // Fast takeover of a dead worker's jobs and slots, so the test runs in seconds.
    WORKER_LOCK_MS: '1500',
    SLOT_LEASE_MS: '5000',
    POLL_MIN_MS: '30',
    POLL_COLD_START_MS: '100',
    // A killed worker's create is dead with it: look for its job after 1 s instead of 45.
    SUBMIT_SETTLE_MS: '1000',
  };
  const workers: NodeProcess[] = [];
  const spawnWorker = () => workers.push(runNode('services/worker/src/main.ts', workerEnv));
  spawnWorker();
  spawnWorker();

  try {
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      // Every third job is large, so kills also land inside downloads and multipart uploads.
      const size = i % 3 === 0 ? ` #sim(bytes=${24 * MiB + i})` : '';
      const response = await fetch(`${api.url}/v1/videos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `crash test job ${i}${size}`, seconds: '4' }),
      });
      expect(response.status).toBe(200);
      ids.push(((await response.json()) as { id: string }).id);
    }

    const videos = new Map<string, VideoObject>();
    const deadline = Date.now() + 150_000;
    let kills = 0;
    while (videos.size < JOBS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 600));
      // Kill a random live worker every round, and always keep two running.
      if (kills < 60) {
        const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills++;
        spawnWorker();
      }
      for (const id of ids) {
        if (videos.has(id)) continue;
        const video = (await (
          await fetch(`${api.url}/v1/videos/${id}`, { headers: { authorization: `Bearer ${key}` } })
        ).json()) as VideoObject;
        if (['completed', 'failed', 'canceled'].includes(video.status)) videos.set(id, video);
      }
    }
    expect(kills).toBeGreaterThan(3);
    expect(videos.size, `finished ${videos.size} of ${JOBS}`).toBe(JOBS);

    const stats = await sim.stats();
    for (const video of videos.values()) {
      expect(video.status, `${video.id}: ${JSON.stringify(video.error)}`).toBe('completed');
      // Exactly one create per job: no crash made Reelay pay twice.
      expect(stats.jobs.filter((j) => j.prompt === video.prompt)).toHaveLength(1);
      const job = stats.jobs.find((j) => j.id === video.reelay.provider_job_id)!;
      const output = video.reelay.outputs.find((o) => o.variant === 'video')!;
      expect(output.sha256).toBe(job.sha256);
      const object = await bucket.s3.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: output.key }));
      const hash = createHash('sha256');
      for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(job.sha256);
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop('SIGTERM', 5_000)));
    await api.close();
    await sim.close();
    await redis.cleanup();
    await bucket.cleanup();
  }
});
