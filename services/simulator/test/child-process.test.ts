import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { SimStats } from '../src/index.ts';
import { client, pollToEnd, REPO_ROOT } from './helpers.ts';

// The simulator as other services run it: `node services/simulator/src/main.ts`, configured by env.
// A 1 GiB video streams out of it with a flat memory profile (the padding is generated chunk by chunk),
// its bytes hash to what /_sim/stats reports, and SIGTERM stops it cleanly.

const GIB = 1024 ** 3;
const RSS_CEILING = 200 * 1024 * 1024;

async function spawnSimulator(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'services/simulator/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, SIM_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'simulator listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {}
    });
  });
  return { child, url };
}

/** Peak resident set size of a process, from the kernel's high-water mark. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

describe('child process', () => {
  it('refuses a bad configuration with one line naming the variable, exit code 78', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'services/simulator/src/main.ts')], {
      env: { ...process.env, SIM_TIME_FACTOR: 'fast', SIM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(78);
    expect(stderr).toMatch(/^simulator: invalid configuration: SIM_TIME_FACTOR must be a number/m);
  });

  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('streams a 1 GiB video with flat memory, hashing to the stats sha256, then stops on SIGTERM', async () => {
    const started = await spawnSimulator({ SIM_TIME_FACTOR: '0.002' });
    child = started.child;
    const api = client(started, 'key-big');
    const created = await api.create({
      prompt: `a very long take #sim(bytes=${GIB},queue_ms=0,render_ms=0)`,
    });
    expect(created.status).toBe(200);
    expect((await pollToEnd(api, created.body.id)).at(-1)!.status).toBe('completed');
    const before = await peakRss(child.pid!);

    const response = await api.content(created.body.id);
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(GIB);
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
    }
    expect(received).toBe(GIB);
    const peak = await peakRss(child.pid!);
    expect(
      peak,
      `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (before: ${(before / 2 ** 20).toFixed(0)} MiB)`,
    ).toBeLessThan(RSS_CEILING);

    const stats = (await (await fetch(`${started.url}/_sim/stats`)).json()) as SimStats;
    const job = stats.jobs.find((j) => j.id === created.body.id);
    expect(job).toMatchObject({ bytes: GIB, sha256: hash.digest('hex') });

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
