import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Where an existing S3 is, when `S3_ENDPOINT` is given. */
export interface S3Given {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The Redis and S3 a bench uses instead of starting its own, from `REDIS_URL` / `S3_*`; null: start one. */
export function givenInfra(env: Record<string, string | undefined>): {
  redisUrl: string | null;
  s3: S3Given | null;
} {
  return {
    redisUrl: env.REDIS_URL || null,
    s3: env.S3_ENDPOINT
      ? {
          endpoint: env.S3_ENDPOINT,
          region: env.S3_REGION ?? 'us-east-1',
          accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
          secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
        }
      : null,
  };
}

/**
 * The command-line plumbing every bench shares: flags parsed strictly (`--help` prints the usage and
 * exits 0), whole numbers checked against a range, and one clear line plus the usage (exit 2) for
 * anything wrong.
 */
export function cli(bench: string, usage: string) {
  const fail = (message: string): never => {
    console.error(`${bench}: ${message}\n${usage}`);
    process.exit(2);
  };
  return {
    fail,
    flags<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
      let values: ReturnType<typeof parseArgs<{ args: string[]; options: O }>>['values'];
      try {
        values = parseArgs({ args: argv, options }).values;
      } catch (error) {
        return fail((error as Error).message);
      }
      if ((values as { help?: boolean }).help) {
        process.stdout.write(`${usage}\n`);
        process.exit(0);
      }
      return values;
    },
    int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        fail(`--${name} must be an integer from ${min} to ${max} (got '${raw}')`);
      }
      return value;
    },
  };
}

/** What the figures were measured on, printed at the top of every bench. */
export function machine(redisVersion: string) {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis: redisVersion,
  };
}

/** The `machine:` line every bench prints first. */
export function machineLine(m: ReturnType<typeof machine>): string {
  return `machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, node ${m.node}, redis ${m.redis}`;
}

/** The code measured: the commit, and whether services or packages differ from it (figures move with them). */
export function codeVersion(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain', '--', 'packages', 'services').split('\n').filter(Boolean);
    return `${git('rev-parse', '--short', 'HEAD')}${changed.length > 0 ? ` + ${changed.length} uncommitted file(s) in packages/services` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

/**
 * Where a bench writes: its report on stdout, progress on stderr. With `--json` the report goes to stderr
 * too, so that stdout carries the final JSON line alone and pipes straight into jq.
 */
export function output(json: boolean) {
  return {
    out: (text: string) => (json ? process.stderr : process.stdout).write(`${text}\n`),
    progress: (text: string) => process.stderr.write(`${text}\n`),
  };
}

/** A bucket name and a key prefix in one: lowercase, digits and dashes, unique per run. */
export function newRunId(): string {
  return `reelay-bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Ctrl-C (or a kill) mid-run still stops what the bench started and takes its keys and bucket back:
 * `noted` first (a bench that should not report the failures the stop causes), then `shutdown`, exit 130.
 */
export function shutdownOnSignal(
  progress: (text: string) => void,
  shutdown: () => Promise<unknown>,
  noted: () => void = () => {},
): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      noted();
      progress(`${signal}: cleaning up`);
      void shutdown().finally(() => process.exit(130));
    });
  }
}
