import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startStack } from './stack.ts';

describe('./reelay up', () => {
  it('brings every process up, prints the URLs and a key, and stops all of it on Ctrl-C', async () => {
    const stack = await startStack();
    const { ports, apiUrl } = stack;
    try {
      expect(stack.output()).toContain(`api          ${apiUrl}/v1`);
      expect(stack.output()).toContain(`simulator    ${stack.simulatorUrl}/v1`);

      expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${apiUrl}/readyz`)).json()).toEqual({
        status: 'ready',
        redis: 'ok',
        noeviction: 'ok',
        bucket: 'ok',
        workers: 1,
        missing: [],
      });
      expect((await fetch(`http://127.0.0.1:${ports.WORKER_HEALTH_PORT}/healthz`)).status).toBe(200);
      expect((await fetch(`${stack.simulatorUrl}/healthz`)).status).toBe(200);
      const list = await fetch(`${apiUrl}/v1/videos`, {
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      expect(list.status).toBe(200);

      // The private Redis keeps an AOF under the data folder and never evicts.
      const redis = new Redis(`redis://127.0.0.1:${ports.REDIS_PORT}`);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      redis.disconnect();
      expect(existsSync(join(stack.dataDir, 'redis', 'appendonlydir'))).toBe(true);
      expect(existsSync(join(stack.dataDir, 's3', 'reelay'))).toBe(true);
    } finally {
      expect(await stack.stop()).toBe(0);
    }
    expect(stack.output()).toContain('stack stopped');
    for (const port of Object.values(ports)) expect(await isListening(port)).toBe(false);
  });
});

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
