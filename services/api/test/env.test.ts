import { describe, expect, it } from 'vitest';
import { apiEnvSchema } from '../src/env.ts';
import { TEST_ACCOUNTS } from './harness.ts';

const parse = (extra: Record<string, string>) =>
  apiEnvSchema.safeParse({ PROVIDER_ACCOUNTS: JSON.stringify(TEST_ACCOUNTS), ...extra });

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['0', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.7 ,fd00::/8', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
    ['::1', ['::1']],
  ])('%o reads as %o', (value, expected) => {
    const result = parse(value === undefined ? {} : { TRUST_PROXY: value });
    expect(result.success && result.data.TRUST_PROXY).toEqual(expected);
  });

  it.each(['10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.1/8/8', '300.1.1.1', ',', '100'])(
    'refuses %o',
    (value) => {
      const result = parse({ TRUST_PROXY: value });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['TRUST_PROXY']);
    },
  );
});
