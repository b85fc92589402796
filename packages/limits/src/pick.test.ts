import type { IsolatedRedis } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { ProviderLimits } from './limits.ts';
import type { AccountLimits } from './options.ts';
import { useIsolatedRedis } from './redis.fixture.ts';

describe('routing to the account with headroom', () => {
  let ctx: IsolatedRedis;
  const connect = useIsolatedRedis((c) => {
    ctx = c;
  });

  it('takes the account with the most free slots, until all are full', async () => {
    const accounts: AccountLimits[] = [
      { id: 'small', concurrency: 1, rpm: 60 },
      { id: 'big', concurrency: 3, rpm: 60 },
      { id: 'mid', concurrency: 2, rpm: 60 },
    ];
    // 60 tokens each, refilling 1 a second: the test sees what the picks took.
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, accounts, { busyRetryMs: 750, burstMs: 60_000 });
    const picked: string[] = [];
    for (let i = 0; i < 6; i++) {
      const before = await limits.snapshot();
      const mostFree = Math.max(...before.map((s) => s.effectiveConcurrency - s.inFlight));
      const pick = await limits.pick(accounts, `v${i}`);
      if (!pick.ok) throw new Error(`pick ${i} found no room: ${JSON.stringify(pick)}`);
      const chosen = before.find((s) => s.id === pick.accountId)!;
      expect(chosen.effectiveConcurrency - chosen.inFlight).toBe(mostFree);
      expect(pick.inFlight).toBe(chosen.inFlight + 1);
      picked.push(pick.accountId);
    }
    expect(picked[0]).toBe('big');
    expect(picked.filter((id) => id === 'big')).toHaveLength(3);
    expect(picked.filter((id) => id === 'mid')).toHaveLength(2);
    expect(picked.filter((id) => id === 'small')).toHaveLength(1);

    const full = await limits.pick(accounts, 'v6');
    expect(full).toEqual({ ok: false, waitMs: 750, reason: 'concurrency' });
    // A pick only checks for a token by default: the caller takes it for the submit.
    for (const s of await limits.snapshot()) expect(s.tokens).toBeCloseTo(s.capacity, 0);
  });

  it('skips an account without a token, and says how long when none has one', async () => {
    // 6 rpm with a 10 s burst: one token each, the next 10 s later.
    const accounts: AccountLimits[] = [
      { id: 'a', concurrency: 5, rpm: 6 },
      { id: 'b', concurrency: 2, rpm: 6 },
    ];
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, accounts);
    // Most free slots, and its token spent with the slot.
    expect(await limits.pick(accounts, 'v1', { takeToken: true })).toMatchObject({
      ok: true,
      accountId: 'a',
    });
    // a still has the most free slots but no token: b, whose token is left for the caller's take.
    expect(await limits.pick(accounts, 'v2')).toMatchObject({ ok: true, accountId: 'b' });
    expect((await limits.take('b')).ok).toBe(true);
    const third = await limits.pick(accounts, 'v3');
    if (third.ok) throw new Error('picked an account without tokens');
    expect(third.reason).toBe('rate');
    expect(third.waitMs).toBeGreaterThan(9_000);
    expect(third.waitMs).toBeLessThanOrEqual(10_000);
    // Nothing was taken for the refused holder.
    expect((await limits.snapshot()).map((s) => s.inFlight)).toEqual([1, 1]);
  });

  it('keeps a holder on the account it already holds, without a second slot', async () => {
    const accounts: AccountLimits[] = [
      { id: 'a', concurrency: 5, rpm: 600 },
      { id: 'b', concurrency: 5, rpm: 600 },
    ];
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, accounts);
    expect(await limits.pick(accounts, 'v1')).toMatchObject({ ok: true, accountId: 'a', inFlight: 1 });
    // b has more free slots now, but a retried v1 must stay where its render may already be.
    expect(await limits.pick(accounts, 'v1')).toMatchObject({ ok: true, accountId: 'a', inFlight: 1 });
    expect(await limits.pick(accounts, 'v2')).toMatchObject({ ok: true, accountId: 'b', inFlight: 1 });
    expect((await limits.snapshot()).map((s) => s.inFlight)).toEqual([1, 1]);
  });

  it('two workers racing for the last slot: exactly one gets it', async () => {
    const accounts: AccountLimits[] = [
      { id: 'a', concurrency: 1, rpm: 60_000 },
      { id: 'b', concurrency: 1, rpm: 60_000 },
    ];
    const workers = [0, 1].map(() => new ProviderLimits(connect(), ctx.prefix, accounts));
    expect((await workers[0]!.acquire('b', 'blocker')).ok).toBe(true);
    for (let round = 0; round < 20; round++) {
      const picks = await Promise.all(workers.map((w, i) => w.pick(accounts, `r${round}-w${i}`)));
      const winners = picks.filter((p) => p.ok);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ accountId: 'a', inFlight: 1 });
      expect(picks.find((p) => !p.ok)).toMatchObject({ reason: 'concurrency' });
      const winner = picks.indexOf(winners[0]!);
      expect((await workers[winner]!.release('a', `r${round}-w${winner}`)).released).toBe(true);
    }
  });
});
