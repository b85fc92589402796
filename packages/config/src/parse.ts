import type { z } from 'zod';

/**
 * A configuration problem, worded as one line that names the variable and what it expects, so that an
 * operator reading a crash-looping pod's last log line knows what to fix.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Parses `env` with a zod object whose keys are the variable names. Blank values count as unset, so that
 * `FOO=` in a compose file falls back to the default instead of failing a format check.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const input: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => describe(issue, input));
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

function describe(issue: z.core.$ZodIssue, input: Env): string {
  const name = String(issue.path[0] ?? '(environment)');
  const got = input[name];
  if (got === undefined) return `${name} is required but not set`;
  // Inside a JSON value: say where, e.g. "PROVIDER_ACCOUNTS entry 0.apiKey: ...".
  const where = issue.path.length > 1 ? ` entry ${issue.path.slice(1).join('.')}:` : '';
  // Never echo values that may hold credentials into logs.
  const shown = SECRET.test(name) ? 'value not shown' : `got ${JSON.stringify(truncate(got))}`;
  return `${name}${where} ${issue.message} (${shown})`;
}

const SECRET = /KEY|SECRET|PASSWORD|TOKEN|ACCOUNTS|CREDENTIAL/i;

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/**
 * Parses the environment once at boot. On a bad value it prints a single line and exits with 78
 * (EX_CONFIG), instead of a stack trace: this is the one place a service reads `process.env`.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  env: Env = process.env,
): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
