import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@reelay/localstack';
import { REPO_ROOT } from '@reelay/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

// The README's first command, exactly: `./reelay up` with only ports and the data folder moved so it can
// run beside anything else on the machine.
describe('./reelay up', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelay-up-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('brings every process up, prints the URLs, and stops all of it on Ctrl-C', async () => {
    const ports = {
      API_PORT: await freePort(),
      WORKER_HEALTH_PORT: await freePort(),
      SIM_PORT: await freePort(),
      S3_PORT: await freePort(),
      REDIS_PORT: await freePort(),
    };
    const env: Record<string, string> = { REELAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const [name, port] of Object.entries(ports)) env[name] = String(port);
    // Embedded defaults only: whatever this run was given for its own infrastructure is not passed on.
    const inherited = { ...process.env };
    for (const name of ['REDIS_URL', 'S3_ENDPOINT', 'PROVIDER_ACCOUNTS']) delete inherited[name];
    const child = spawn(join(REPO_ROOT, 'reelay'), ['up'], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

    try {
      const deadline = Date.now() + 45_000;
      while (!output.includes('Press Ctrl-C to stop.')) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`stack did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const api = `http://127.0.0.1:${ports.API_PORT}`;
      expect(output).toContain(`api          ${api}`);
      expect(output).toContain(`simulator    http://127.0.0.1:${ports.SIM_PORT}/v1`);

      expect((await fetch(`${api}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${api}/readyz`)).json()).toEqual({ status: 'ready', redis: 'ok', s3: 'ok' });
      expect((await fetch(`http://127.0.0.1:${ports.WORKER_HEALTH_PORT}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports.SIM_PORT}/healthz`)).status).toBe(200);

      // The private Redis keeps an AOF under the data folder and never evicts.
      const redis = new Redis(`redis://127.0.0.1:${ports.REDIS_PORT}`);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      redis.disconnect();
      expect(existsSync(join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
      expect(existsSync(join(dataDir, 's3', 'reelay'))).toBe(true);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('stack stopped');
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
