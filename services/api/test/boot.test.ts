import { runNode } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';

describe('api boot', () => {
  it.each([
    [
      { API_PORT: 'eighty' },
      'reelay-api: invalid configuration: API_PORT must be a TCP port number (got "eighty")',
    ],
    [
      { REDIS_URL: 'localhost:6379' },
      'reelay-api: invalid configuration: REDIS_URL must be a redis:// or rediss:// URL (got "localhost:6379")',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'reelay-api: invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ],
  ])('stops on a bad value with one clear line: %o', async (env, line) => {
    const api = runNode('services/api/src/main.ts', env);
    const { code } = await api.exited;
    expect(code).toBe(78);
    expect(api.output().stderr).toBe(`${line}\n`);
  });
});
