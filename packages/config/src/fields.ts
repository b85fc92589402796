import { z } from 'zod';

// Field builders for environment variables. Each error message completes the sentence
// "<VARIABLE> must ...", which parse.ts turns into the one boot line.

export const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a TCP port number' })
    .int({ error: 'must be a whole TCP port number' })
    .min(0, { error: 'must be a TCP port between 0 and 65535' })
    .max(65535, { error: 'must be a TCP port between 0 and 65535' })
    .default(fallback);

export const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);

export const number = (fallback: number, min = 0, max = Number.MAX_VALUE) =>
  z.coerce
    .number({ error: 'must be a number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];
export const bool = (fallback: boolean) =>
  z
    .string()
    .transform((value, ctx) => {
      const v = value.trim().toLowerCase();
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false (also 1/0, yes/no, on/off)' });
      return z.NEVER;
    })
    .optional()
    .transform((value) => value ?? fallback);

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` }).default(fallback as never);

/** A URL whose scheme is one of `protocols` (without the colon). */
export const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `must be a ${protocols.map((p) => `${p}://`).join(' or ')} URL` },
  );

export const redisUrl = (fallback?: string) => {
  const field = url(['redis', 'rediss']);
  return fallback === undefined ? field : field.default(fallback);
};

export const text = (fallback?: string) =>
  fallback === undefined ? z.string() : z.string().default(fallback);

export const logLevel = () =>
  oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info');

/** Lowercase DNS-style names: S3 bucket names, key prefixes. */
export const bucketName = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
      error: 'must be a valid S3 bucket name (3-63 of a-z 0-9 . -)',
    })
    .default(fallback);

/** A comma-separated list, trimmed, empty items dropped. */
export const list = () =>
  z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

/** JSON text validated by `schema`. */
export const json = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** Sections shared by every service that talks to Redis and S3; each service's env.ts spreads them. */
export const redisSection = {
  REDIS_URL: redisUrl('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/, { error: 'must be 1-64 of A-Z a-z 0-9 _ : -' })
    .default('reelay'),
};

export const s3Section = {
  S3_ENDPOINT: url(['http', 'https']).optional(),
  S3_REGION: text('us-east-1'),
  S3_BUCKET: bucketName('reelay'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: bool(true),
};

export const logSection = {
  NODE_ENV: oneOf(['development', 'test', 'production'] as const, 'development'),
  LOG_LEVEL: logLevel(),
  LOG_PRETTY: bool(false),
};
