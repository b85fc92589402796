import { setTimeout as sleep } from 'node:timers/promises';
import { type IsolatedRedis, waitFor } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { ProviderLimits } from './limits.ts';
import type { LimitsOptions } from './options.ts';
import { useIsolatedRedis } from './redis.fixture.ts';

// 600 rpm = a token per 100 ms; halved, one per 200 ms.
const ACCOUNT = { id: 'a', concurrency: 4, rpm: 600 };

describe('adaptive shrink and slow recovery', () => {
  let ctx: IsolatedRedis;
  useIsolatedRedis((c) => {
    ctx = c;
  });
  const limitsWith = (options: LimitsOptions) =>
    new ProviderLimits(ctx.redis, ctx.prefix, [ACCOUNT], options);
  const state = async (limits: ProviderLimits) => (await limits.snapshot())[0]!;

  it('refuses until retry-after, then refills at the halved rate', async () => {
    const limits = limitsWith({ burstMs: 1_000, recoverWindowMs: 60_000 });
    expect((await limits.take('a')).ok).toBe(true);
    const penalized = Date.now();
    const adjusted = await limits.penalize('a', { retryAfterMs: 400 });
    expect(adjusted.effectiveRpm).toBe(300);
    expect(adjusted.effectiveConcurrency).toBe(4); // a rate 429 leaves the slots alone
    const blocked = await limits.take('a');
    const since = Date.now() - penalized;
    if (blocked.ok) throw new Error('took a token during the block');
    expect(blocked.waitMs).toBeLessThanOrEqual(400);
    expect(blocked.waitMs).toBeGreaterThanOrEqual(400 - since - 2);
    expect(await state(limits)).toMatchObject({ effectiveRpm: 300, capacity: 5 });
    expect((await state(limits)).penaltyUntil).not.toBeNull();

    await sleep(blocked.waitMs);
    expect((await limits.take('a')).ok).toBe(true); // one request at the retry time
    const next = await limits.take('a');
    if (next.ok) throw new Error('the bucket should be empty after a 429');
    // 200 ms a token now (it was 100), less what accrued since the block ended (at penalized + 400 or
    // later), during which the first take came.
    expect(next.waitMs).toBeLessThanOrEqual(200);
    expect(next.waitMs).toBeGreaterThanOrEqual(200 - (Date.now() - penalized - 400) - 2);
  });

  it('recovers additively, one step per quiet window, back to the cap', async () => {
    // Steps of 25% of 600 = 150 rpm per 150 ms window: 300 -> 450 -> 600.
    const limits = limitsWith({ recoverWindowMs: 150, recoverFraction: 0.25, cutCooldownMs: 0 });
    expect((await limits.penalize('a')).effectiveRpm).toBe(300);
    expect((await state(limits)).effectiveRpm).toBe(300);
    const seen: number[] = [];
    await waitFor(
      async () => {
        const { effectiveRpm } = await state(limits);
        if (seen.at(-1) !== effectiveRpm) seen.push(effectiveRpm);
        return effectiveRpm === 600;
      },
      { timeoutMs: 10_000, intervalMs: 10, what: 'recovery to 600 rpm' },
    );
    // Never above the cap, never a jump back (the machine may skip a step between two reads).
    expect(seen[0]).toBe(300);
    for (const [i, rpm] of seen.entries()) {
      expect([300, 450, 600]).toContain(rpm);
      if (i > 0) expect(rpm).toBeGreaterThan(seen[i - 1]!);
    }
  });

  it('a 429 restarts the recovery clock', async () => {
    // Window 1 s; reads 0.6 s apart, so each may be up to 0.4 s late before the test means nothing.
    const limits = limitsWith({ recoverWindowMs: 1_000, recoverFraction: 0.25, cutCooldownMs: 0 });
    await limits.penalize('a');
    await sleep(600);
    // A second 429 within the window: cut again, and the window counts from now.
    expect((await limits.penalize('a')).effectiveRpm).toBe(150);
    await sleep(600);
    // 1.2 s after the first cut (a step, were the clock not restarted), 0.6 s after the second.
    expect((await state(limits)).effectiveRpm).toBe(150);
  });

  it('cuts once per cooldown, and never below the floor', async () => {
    const debounced = limitsWith({ cutCooldownMs: 60_000 });
    for (let i = 0; i < 3; i++) expect((await debounced.penalize('a')).effectiveRpm).toBe(300);

    await ctx.redis.unlink(debounced.keys.state('a'));
    const eager = limitsWith({ cutCooldownMs: 0, minRateFraction: 0.1 });
    const rates = [];
    for (let i = 0; i < 6; i++) rates.push((await eager.penalize('a')).effectiveRpm);
    expect(rates).toEqual([300, 150, 75, 60, 60, 60]);
  });

  it('caps the bucket at what the provider says remains, and blocks at remaining 0', async () => {
    const limits = limitsWith({ burstMs: 1_000, recoverWindowMs: 60_000 });
    const hinted = await limits.observe('a', { remaining: 2, limit: 600 });
    expect(hinted.effectiveRpm).toBe(600); // remaining > 0 is no penalty
    const takes = [];
    for (let i = 0; i < 3; i++) takes.push((await limits.take('a')).ok);
    expect(takes).toEqual([true, true, false]);

    // Remaining 0 with a 60 s reset of a 200-request budget: one request back in 300 ms; rate halved.
    const observed = Date.now();
    const exhausted = await limits.observe('a', { remaining: 0, resetMs: 60_000, limit: 200 });
    expect(exhausted.effectiveRpm).toBe(300);
    const blocked = await limits.take('a');
    if (blocked.ok) throw new Error('took a token at remaining 0');
    expect(blocked.waitMs).toBeLessThanOrEqual(300);
    expect(blocked.waitMs).toBeGreaterThanOrEqual(300 - (Date.now() - observed) - 2);
  });

  it('a concurrency 429 halves the slots, which come back one per window', async () => {
    const limits = limitsWith({ recoverWindowMs: 300, cutCooldownMs: 0 });
    expect((await limits.penalize('a', { concurrency: true })).effectiveConcurrency).toBe(2);
    expect((await limits.acquire('a', 'v1')).ok).toBe(true);
    expect((await limits.acquire('a', 'v2')).ok).toBe(true);
    expect(await limits.acquire('a', 'v3')).toMatchObject({ ok: false, inFlight: 2, limit: 2 });
    const third = await waitFor(
      async () => {
        const slot = await limits.acquire('a', 'v3');
        return slot.ok && slot;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'a slot back' },
    );
    expect(third).toMatchObject({ inFlight: 3 });
    expect(third.limit).toBeGreaterThanOrEqual(3);
    await waitFor(async () => (await state(limits)).effectiveConcurrency === 4, { timeoutMs: 10_000 });
    expect(await state(limits)).toMatchObject({ inFlight: 3, concurrency: 4, effectiveConcurrency: 4 });
  });
});
