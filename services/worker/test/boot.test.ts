import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@reelay/localstack';
import { infra, runNode } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';

const ACCOUNTS = JSON.stringify([
  { id: 'sim', provider: 'openai-videos', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-test' },
]);

describe('worker boot', () => {
  it('starts, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const worker = runNode('services/worker/src/main.ts', {
      REDIS_URL: infra().redisUrl,
      PROVIDER_ACCOUNTS: ACCOUNTS,
      WORKER_HEALTH_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: '0',
    });
    const line = await worker.waitForOutput(/worker ready/);
    const { healthUrl } = JSON.parse(line) as { healthUrl: string };
    const response = await fetch(`${healthUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await (await fetch(`${healthUrl}/readyz`)).json()).toMatchObject({ status: 'ready' });
    expect(await worker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(worker.output().stdout).toMatch(/"msg":"stopped"/);
  });

  it('refuses a Redis whose eviction policy is not noeviction, with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reelay-lru-'));
    const redis = await startRedisServer({ dir, extraArgs: ['--maxmemory-policy', 'volatile-lru'] });
    try {
      const worker = runNode('services/worker/src/main.ts', {
        REDIS_URL: redis.url,
        WORKER_HEALTH_PORT: '0',
        PROVIDER_ACCOUNTS: ACCOUNTS,
      });
      const { code } = await worker.exited;
      expect(code).toBe(78);
      const lines = worker.output().stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^reelay-worker: Redis maxmemory-policy is "volatile-lru"; Reelay needs "noeviction"/,
      );
    } finally {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops on a bad environment value with one clear line', async () => {
    const worker = runNode('services/worker/src/main.ts', {
      WORKER_HEALTH_PORT: '-1',
      PROVIDER_ACCOUNTS: ACCOUNTS,
    });
    const { code } = await worker.exited;
    expect(code).toBe(78);
    expect(worker.output().stderr).toBe(
      'reelay-worker: invalid configuration: WORKER_HEALTH_PORT must be a TCP port between 0 and 65535 (got "-1")\n',
    );
  });
});
