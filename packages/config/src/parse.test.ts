import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as env from './fields.ts';
import { ConfigError, parseEnv } from './parse.ts';

const schema = z.object({
  ...env.redisSection,
  PORT: env.port(8080),
  DEBUG: env.bool(false),
  MODE: env.oneOf(['a', 'b'] as const, 'a'),
  TAGS: env.list(),
  ACCOUNTS: env.json(z.array(z.object({ id: z.string() }))).optional(),
});

describe('parseEnv', () => {
  it('applies defaults and treats blank values as unset', () => {
    const config = parseEnv(schema, { PORT: '', REDIS_URL: '  ' });
    expect(config).toMatchObject({
      PORT: 8080,
      DEBUG: false,
      MODE: 'a',
      REDIS_URL: 'redis://127.0.0.1:6379',
      TAGS: [],
    });
  });

  it('coerces and validates values', () => {
    const config = parseEnv(schema, {
      PORT: '9000',
      DEBUG: 'yes',
      MODE: 'b',
      TAGS: 'x, y,,',
      ACCOUNTS: '[{"id":"a"}]',
    });
    expect(config).toMatchObject({
      PORT: 9000,
      DEBUG: true,
      MODE: 'b',
      TAGS: ['x', 'y'],
      ACCOUNTS: [{ id: 'a' }],
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a TCP port number (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be a TCP port between 0 and 65535 (got "70000")'],
    [{ DEBUG: 'maybe' }, 'DEBUG must be true or false (also 1/0, yes/no, on/off) (got "maybe")'],
    [{ MODE: 'c' }, 'MODE must be one of a, b (got "c")'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL must be a redis:// or rediss:// URL (got "http://x")'],
    [{ ACCOUNTS: '[{' }, 'ACCOUNTS must be valid JSON (value not shown)'],
  ])('names the variable and what it expects: %o', (input, message) => {
    expect(() => parseEnv(schema, input)).toThrow(new ConfigError(`invalid configuration: ${message}`));
  });

  it('says a required variable is missing, and never echoes values that may hold secrets', () => {
    const strict = z.object({ NEEDED: z.string(), S3_SECRET_ACCESS_KEY: env.int(0) });
    expect(() => parseEnv(strict, {})).toThrow('NEEDED is required but not set');
    expect(() => parseEnv(strict, { NEEDED: 'x', S3_SECRET_ACCESS_KEY: 'hunter2' })).toThrow(
      'S3_SECRET_ACCESS_KEY must be a whole number (value not shown)',
    );
  });

  it('reports every problem on one line', () => {
    try {
      parseEnv(schema, { PORT: 'x', MODE: 'z' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message).toMatch(/PORT .*; MODE /);
    }
  });
});
