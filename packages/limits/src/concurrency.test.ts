import { setTimeout as sleep } from 'node:timers/promises';
import { type IsolatedRedis, runNode, waitFor } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { hammer } from './hammer.fixture.ts';
import { ProviderLimits } from './limits.ts';
import type { AccountLimits } from './options.ts';
import { useIsolatedRedis } from './redis.fixture.ts';

const FIXTURE = 'packages/limits/src/hammer.fixture.ts';

describe('concurrency slots', () => {
  let ctx: IsolatedRedis;
  const connect = useIsolatedRedis((c) => {
    ctx = c;
  });

  it('grants exactly the cap; a release (by any process) frees one', async () => {
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, [{ id: 'a', concurrency: 3, rpm: 60 }]);
    const results = [];
    for (const holder of ['v1', 'v2', 'v3', 'v4', 'v5']) results.push(await limits.acquire('a', holder));
    expect(results.map((r) => [r.ok, r.inFlight, r.limit])).toEqual([
      [true, 1, 3],
      [true, 2, 3],
      [true, 3, 3],
      [false, 3, 3],
      [false, 3, 3],
    ]);
    // The slot belongs to the video, not the worker: another connection releases it.
    const other = new ProviderLimits(connect(), ctx.prefix, [{ id: 'a', concurrency: 3, rpm: 60 }]);
    expect(await other.release('a', 'v1')).toEqual({ released: true, inFlight: 2 });
    expect(await other.release('a', 'v1')).toEqual({ released: false, inFlight: 2 });
    expect(await limits.acquire('a', 'v4')).toMatchObject({ ok: true, inFlight: 3 });
    expect(await limits.acquire('a', 'v5')).toMatchObject({ ok: false, inFlight: 3 });
  });

  it('re-acquiring a held slot succeeds without taking a second one', async () => {
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, [{ id: 'a', concurrency: 2, rpm: 60 }]);
    for (let i = 0; i < 3; i++)
      expect(await limits.acquire('a', 'v1')).toMatchObject({ ok: true, inFlight: 1 });
    expect(await limits.acquire('a', 'v2')).toMatchObject({ ok: true, inFlight: 2 });
    // Full now, yet both holders still get theirs back (a retried job after a crash).
    expect(await limits.acquire('a', 'v1')).toMatchObject({ ok: true, inFlight: 2 });
    expect(await limits.acquire('a', 'v3')).toMatchObject({ ok: false, inFlight: 2 });
    expect((await limits.snapshot())[0]).toMatchObject({ inFlight: 2, concurrency: 2 });
  });

  it('reclaims expired leases; renew keeps a live one', async () => {
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, [{ id: 'a', concurrency: 1, rpm: 60 }]);
    expect((await limits.acquire('a', 'dead', 150)).ok).toBe(true);
    expect((await limits.acquire('a', 'v2', 1_000)).ok).toBe(false);
    await sleep(250);
    expect(await limits.renew('a', 'dead', 10_000)).toBe(false);
    expect(await limits.acquire('a', 'v2', 1_000)).toMatchObject({ ok: true, inFlight: 1 });
    expect(await limits.renew('a', 'v2', 10_000)).toBe(true);
    await sleep(1_100);
    expect(await limits.acquire('a', 'v3', 1_000)).toMatchObject({ ok: false, inFlight: 1 });
  });

  it('gives back the slot of a kill -9ed worker process after its lease', async () => {
    const account: AccountLimits = { id: 'a', concurrency: 1, rpm: 60 };
    const worker = runNode(FIXTURE, {
      MODE: 'hold',
      REDIS_URL: ctx.url,
      PREFIX: ctx.prefix,
      ACCOUNT: 'a',
      CAP: '1',
      HOLDER: 'v1',
      LEASE_MS: '1500',
    });
    try {
      expect(await worker.waitForOutput(/^held /)).toContain('"ok":true');
      await worker.stop('SIGKILL');
      const limits = new ProviderLimits(ctx.redis, ctx.prefix, [account]);
      // Nobody released it: the dead worker's slot is still taken...
      expect(await limits.acquire('a', 'v2')).toMatchObject({ ok: false, inFlight: 1 });
      // ...until its lease runs out.
      await waitFor(async () => (await limits.acquire('a', 'v2')).ok, { timeoutMs: 10_000, what: 'lease' });
      expect((await limits.snapshot())[0]?.inFlight).toBe(1);
    } finally {
      await worker.stop('SIGKILL');
    }
  });

  it('5 connections hammering acquire/release never exceed the cap', async () => {
    const account: AccountLimits = { id: 'a', concurrency: 3, rpm: 60 };
    const connections = Array.from({ length: 5 }, connect);
    const result = await hammer(connections, ctx.prefix, account, Date.now() + 1_500, 'in');
    expect(result.grants).toBeGreaterThan(50);
    expect(result.refusals).toBeGreaterThan(0);
    // Reaching the cap shows there was contention; never more is the point.
    expect(result.maxInFlight).toBe(3);
    expect(result.maxSide).toBeLessThanOrEqual(3);
    const limits = new ProviderLimits(ctx.redis, ctx.prefix, [account]);
    expect((await limits.snapshot())[0]?.inFlight).toBe(0);
  });

  it('2 worker processes share one cap', async () => {
    const account: AccountLimits = { id: 'a', concurrency: 2, rpm: 60 };
    const until = String(Date.now() + 2_500);
    const workers = ['p1', 'p2'].map((tag) =>
      runNode(FIXTURE, {
        MODE: 'hammer',
        REDIS_URL: ctx.url,
        PREFIX: ctx.prefix,
        ACCOUNT: 'a',
        CAP: '2',
        CLIENTS: '3',
        UNTIL_MS: until,
        TAG: tag,
      }),
    );
    try {
      const results = await Promise.all(
        workers.map(async (w) => JSON.parse((await w.waitForOutput(/^result /)).slice(7))),
      );
      for (const r of results) {
        expect(r.grants).toBeGreaterThan(0);
        expect(r.maxInFlight).toBeLessThanOrEqual(2);
        expect(r.maxSide).toBeLessThanOrEqual(2);
      }
      expect(Math.max(...results.map((r) => r.maxInFlight))).toBe(2);
      const limits = new ProviderLimits(ctx.redis, ctx.prefix, [account]);
      expect((await limits.snapshot())[0]?.inFlight).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    }
  });
});
