import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisServerAvailable, startRedisServer, startS3Server } from '@reelay/localstack';
import type { TestProject } from 'vitest/node';
import type { Infra } from './infra.ts';

/**
 * Starts the run's infrastructure once. Order of preference, per component:
 * 1. `REDIS_URL` / `S3_ENDPOINT` (+ `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`, `S3_REGION`) when given;
 * 2. testcontainers (redis, minio) when a Docker engine is reachable;
 * 3. local servers spawned here: `redis-server` from PATH, the embedded s3rver.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<unknown>> = [];
  const scratch = mkdtempSync(join(tmpdir(), 'reelay-test-'));
  stops.push(async () => rmSync(scratch, { recursive: true, force: true }));
  const docker = await dockerReachable();

  let redis: { url: string; source: Infra['source']['redis'] };
  if (process.env.REDIS_URL) {
    redis = { url: process.env.REDIS_URL, source: 'env' };
  } else if (docker) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine')
      .withCommand(['redis-server', '--maxmemory-policy', 'noeviction', '--appendonly', 'yes'])
      .start();
    stops.push(() => container.stop());
    redis = { url: container.getConnectionUrl(), source: 'containers' };
  } else if (redisServerAvailable()) {
    const server = await startRedisServer({ dir: join(scratch, 'redis') });
    stops.push(() => server.stop());
    redis = { url: server.url, source: 'local' };
  } else {
    throw new Error('tests need Redis: set REDIS_URL, start a Docker engine, or install redis-server');
  }

  let s3: Infra['s3'];
  let s3Source: Infra['source']['s3'];
  if (process.env.S3_ENDPOINT) {
    s3 = {
      endpoint: process.env.S3_ENDPOINT,
      region: process.env.S3_REGION ?? 'us-east-1',
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? '',
    };
    s3Source = 'env';
  } else if (docker) {
    const { MinioContainer } = await import('@testcontainers/minio');
    const container = await new MinioContainer('minio/minio:latest').start();
    stops.push(() => container.stop());
    s3 = {
      endpoint: container.getConnectionUrl(),
      region: 'us-east-1',
      accessKeyId: container.getUsername(),
      secretAccessKey: container.getPassword(),
    };
    s3Source = 'containers';
  } else {
    const server = await startS3Server({ dir: join(scratch, 's3') });
    stops.push(() => server.stop());
    s3 = server;
    s3Source = 'local';
  }

  const infra: Infra = {
    redisUrl: redis.url,
    s3: {
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    },
    source: { redis: redis.source, s3: s3Source },
  };
  project.provide('infra', infra);

  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
}

/** Only asks testcontainers when there is a sign of an engine: its probe is slow to fail. */
async function dockerReachable(): Promise<boolean> {
  if (process.env.REELAY_TEST_NO_CONTAINERS === '1') return false;
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
