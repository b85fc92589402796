import { cpus, totalmem } from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * The command-line plumbing every bench shares: flags parsed strictly, whole numbers checked against a
 * range, and one clear line plus the usage (exit 2) for anything wrong.
 */
export function cli(bench: string, usage: string) {
  const fail = (message: string): never => {
    console.error(`${bench}: ${message}\n${usage}`);
    process.exit(2);
  };
  return {
    fail,
    flags<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
      try {
        return parseArgs({ args: argv, options }).values;
      } catch (error) {
        return fail((error as Error).message);
      }
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
