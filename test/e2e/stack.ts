import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@reelay/localstack';
import { REPO_ROOT } from '@reelay/testkit';

export interface Stack {
  ports: {
    API_PORT: number;
    WORKER_HEALTH_PORT: number;
    SIM_PORT: number;
    S3_PORT: number;
    REDIS_PORT: number;
  };
  apiUrl: string;
  simulatorUrl: string;
  apiKey: string;
  dataDir: string;
  output(): string;
  /** Ctrl-C, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The README's first command, exactly (`./reelay up`), with only ports, data folder and simulator speed
 * moved so it can run beside anything else on the machine. Resolves once it prints that it is up.
 */
export async function startStack(extraEnv: Record<string, string> = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelay-up-'));
  const ports = {
    API_PORT: await freePort(),
    WORKER_HEALTH_PORT: await freePort(),
    SIM_PORT: await freePort(),
    S3_PORT: await freePort(),
    REDIS_PORT: await freePort(),
  };
  const env: Record<string, string> = { REELAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extraEnv };
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  // Embedded defaults only: whatever this run was given for its own infrastructure is not passed on.
  const inherited = { ...process.env };
  for (const name of ['REDIS_URL', 'S3_ENDPOINT', 'PROVIDER_ACCOUNTS']) delete inherited[name];
  const child: ChildProcess = spawn(join(REPO_ROOT, 'reelay'), ['up'], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    const code = await exited;
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  };

  const deadline = Date.now() + 45_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`stack did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const apiKey = /api key\s+(rl_\S+)/.exec(output)?.[1];
  if (!apiKey) throw new Error(`no api key in the banner:\n${output}`);
  return {
    ports,
    apiUrl: `http://127.0.0.1:${ports.API_PORT}`,
    simulatorUrl: `http://127.0.0.1:${ports.SIM_PORT}`,
    apiKey,
    dataDir,
    output: () => output,
    stop,
  };
}
