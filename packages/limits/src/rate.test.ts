import { setTimeout as sleep } from 'node:timers/promises';
import type { IsolatedRedis } from '@reelay/testkit';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ProviderLimits } from './limits.ts';
import { useIsolatedRedis } from './redis.fixture.ts';

/** Redis' clock in ms: the one the scripts use. */
async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

describe('request-rate budget', () => {
  let ctx: IsolatedRedis;
  const connect = useIsolatedRedis((c) => {
    ctx = c;
  });

  it('grants its burst, then about rpm per minute, across two clients', async () => {
    // 6000 rpm = 0.1 token/ms; a 200 ms burst = 20 tokens.
    const account = { id: 'a', concurrency: 1, rpm: 6_000 };
    const clients = [connect(), connect()].map(
      (c) => new ProviderLimits(c, ctx.prefix, [account], { burstMs: 200 }),
    );
    const t0 = await redisNow(ctx.redis);
    const stopAt = Date.now() + 600;
    let grants = 0;
    let refusals = 0;
    await Promise.all(
      clients.map(async (limits) => {
        while (Date.now() < stopAt) {
          const taken = await limits.take('a');
          if (taken.ok) grants++;
          else {
            refusals++;
            expect(taken.waitMs).toBeGreaterThanOrEqual(1);
            expect(taken.waitMs).toBeLessThanOrEqual(10); // one token = 10 ms at this rate
            await sleep(taken.waitMs);
          }
        }
      }),
    );
    const elapsed = (await redisNow(ctx.redis)) - t0;
    const bound = 20 + elapsed * 0.1;
    // Never more than the burst plus the refill (+1 for ms rounding of the clock)...
    expect(grants).toBeLessThanOrEqual(bound + 1);
    // ...and most of it used (generous: a loaded machine sleeps late, the bucket keeps up to 200 ms).
    expect(grants).toBeGreaterThan(bound * 0.5);
    expect(refusals).toBeGreaterThan(0);
  });

  it('says exactly how long until the next token', async () => {
    // 600 rpm = one token per 100 ms; burst 1 s = 10 tokens.
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, [{ id: 'a', concurrency: 1, rpm: 600 }], {
      burstMs: 1_000,
    });
    // The bucket starts full at the first take and refills from then on.
    const started = Date.now();
    for (let i = 0; i < 10; i++) expect((await limits.take('a')).ok).toBe(true);
    const one = await limits.take('a');
    const three = await limits.take('a', 3);
    const since = Date.now() - started;
    if (one.ok || three.ok) throw new Error('bucket should be empty');
    // What is missing of one token, at 100 ms a token, less what refilled while we asked.
    expect(one.waitMs).toBeLessThanOrEqual(100);
    expect(one.waitMs).toBeGreaterThanOrEqual(100 - since - 2);
    expect(three.waitMs).toBeLessThanOrEqual(300);
    expect(three.waitMs).toBeGreaterThanOrEqual(300 - since - 2);
    await sleep(one.waitMs);
    expect((await limits.take('a')).ok).toBe(true);
  });

  it('serves a take larger than the bucket from a full bucket, as a debt', async () => {
    // 600 rpm, burst 500 ms = 5 tokens; take 8 leaves -3: 4 tokens (400 ms) until the next one.
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, [{ id: 'a', concurrency: 1, rpm: 600 }], {
      burstMs: 500,
    });
    const before = Date.now();
    const big = await limits.take('a', 8);
    if (!big.ok) throw new Error(`a full bucket refused: ${JSON.stringify(big)}`);
    expect(big.tokens).toBeCloseTo(-3, 0);
    const next = await limits.take('a');
    expect(next.ok).toBe(false);
    if (!next.ok) {
      expect(next.waitMs).toBeLessThanOrEqual(400);
      expect(next.waitMs).toBeGreaterThanOrEqual(400 - (Date.now() - before) - 2);
    }
  });

  it('is one bucket for every client of the account', async () => {
    // 6 rpm: a token per 10 s, so nothing refills during the test; burst 50 s = 5 tokens.
    const account = { id: 'a', concurrency: 1, rpm: 6 };
    const [a, b] = [connect(), connect()].map(
      (c) => new ProviderLimits(c, ctx.prefix, [account], { burstMs: 50_000 }),
    );
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a! : b!).take('a')));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    for (const r of results) {
      if (r.ok) continue;
      expect(r.waitMs).toBeGreaterThan(9_000);
      expect(r.waitMs).toBeLessThanOrEqual(10_000);
    }
    const [snap] = await a!.snapshot();
    expect(snap).toMatchObject({ rpm: 6, effectiveRpm: 6, capacity: 5, penaltyUntil: null });
    expect(snap!.tokens).toBeLessThan(1);
  });
});
