import { type IsolatedRedis, isolatedRedis } from '@reelay/testkit';
import { Redis } from 'ioredis';
import { afterEach, beforeEach } from 'vitest';

/**
 * Test plumbing shared by the limiter's test files: a fresh key prefix per test (handed to `use`), and
 * `connect()` for extra clients standing in for other worker processes, all closed after each test.
 */
export function useIsolatedRedis(use: (ctx: IsolatedRedis) => void): () => Redis {
  let ctx: IsolatedRedis;
  const extra: Redis[] = [];
  beforeEach(async () => {
    ctx = await isolatedRedis('limits');
    use(ctx);
  });
  afterEach(async () => {
    for (const c of extra.splice(0)) c.disconnect();
    await ctx.cleanup();
  });
  return () => {
    const c = new Redis(ctx.url);
    extra.push(c);
    return c;
  };
}
