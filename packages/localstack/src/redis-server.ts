import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';

const REDIS_CONF = resolve(import.meta.dirname, '../../../infra/redis/redis.conf');

export interface RedisServerOptions {
  /** Data directory (AOF lives here). Created if missing. */
  dir: string;
  /** @defaultValue a free port */
  port?: number;
  /** The binary. @defaultValue 'redis-server' from PATH */
  binary?: string;
  /** Where redis-server's own log goes. @defaultValue '' (its stdout, which we discard) */
  logfile?: string;
  /** Extra `--name value` arguments after redis.conf (tests use it to start a misconfigured Redis). */
  extraArgs?: string[];
}

export interface RedisServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** SIGTERM: redis-server flushes the AOF and exits. */
  stop(): Promise<void>;
}

export function redisServerAvailable(binary = 'redis-server'): boolean {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns a private redis-server with the project's redis.conf (AOF everysec, noeviction), bound to
 * loopback, and resolves once it answers PING.
 */
export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  mkdirSync(options.dir, { recursive: true });
  const args = [REDIS_CONF, '--port', String(port), '--bind', '127.0.0.1', '--dir', options.dir];
  args.push('--logfile', options.logfile ?? '', '--daemonize', 'no', ...(options.extraArgs ?? []));
  const child = spawn(options.binary ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `redis://127.0.0.1:${port}`;
  await waitForPing(url, exited, () => stderr);
  return {
    url,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitForPing(url: string, exited: Promise<number | null>, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline) {
    if (gone) throw new Error(`redis-server exited at startup: ${stderr().trim() || 'no output'}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server did not answer PING on ${url} within 10 s`);
}
