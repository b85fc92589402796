import { runNode } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { TEST_ACCOUNTS } from './harness.ts';

const valid = { PROVIDER_ACCOUNTS: JSON.stringify(TEST_ACCOUNTS) };

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
      { PROVIDER_ACCOUNTS: '' },
      'reelay-api: invalid configuration: PROVIDER_ACCOUNTS is required but not set',
    ],
    [
      { PROVIDER_ACCOUNTS: '[{"id":"x","provider":"sora","baseUrl":"http://p","apiKey":"sk-secret"}]' },
      'reelay-api: invalid configuration: PROVIDER_ACCOUNTS entry 0.provider: provider must be one of openai-videos (value not shown)',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'reelay-api: invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ],
    [
      { TRUST_PROXY: '10.0.0.0/40' },
      'reelay-api: invalid configuration: TRUST_PROXY must be true, false, a proxy hop count, or comma-separated proxy addresses or CIDRs (got "10.0.0.0/40")',
    ],
  ])('stops on a bad value with one clear line: %o', async (env, line) => {
    const api = runNode('services/api/src/main.ts', { ...valid, ...env });
    const { code } = await api.exited;
    expect(code).toBe(78);
    expect(api.output().stderr).toBe(`${line}\n`);
  });
});
