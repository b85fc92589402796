// Test fixture, not part of the package surface: clients hammering one account's slots, in the test's
// process or, run as a script, in a worker process of its own (see concurrency.test.ts).
import { realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ProviderLimits } from './limits.ts';
import type { AccountLimits } from './options.ts';

export interface HammerResult {
  grants: number;
  refusals: number;
  /** Highest in-flight count the acquire script reported on a grant. */
  maxInFlight: number;
  /** Highest value of a side counter each holder increments while it holds: a check independent of it. */
  maxSide: number;
}

/**
 * Each connection loops until `untilMs` (epoch): acquire a slot, re-acquire it (must be idempotent), hold
 * it 0-2 ms, release it. Every grant bumps a side counter in Redis for as long as it holds.
 */
export async function hammer(
  connections: Redis[],
  prefix: string,
  account: AccountLimits,
  untilMs: number,
  tag: string,
): Promise<HammerResult> {
  const result: HammerResult = { grants: 0, refusals: 0, maxInFlight: 0, maxSide: 0 };
  const side = `${prefix}:limits:{${account.id}}:side`;
  await Promise.all(
    connections.map(async (redis, i) => {
      const limits = new ProviderLimits(redis, prefix, [account]);
      for (let k = 0; Date.now() < untilMs; k++) {
        const holder = `${tag}-${i}-${k}`;
        const first = await limits.acquire(account.id, holder, 10_000);
        if (!first.ok) {
          result.refusals++;
          await sleep(Math.random() < 0.5 ? 0 : 1);
          continue;
        }
        result.grants++;
        const again = await limits.acquire(account.id, holder, 10_000);
        if (!again.ok) throw new Error(`re-acquire of a held slot refused: ${JSON.stringify(again)}`);
        const held = await redis.incr(side);
        result.maxInFlight = Math.max(result.maxInFlight, first.inFlight, again.inFlight);
        result.maxSide = Math.max(result.maxSide, held);
        await sleep(Math.floor(Math.random() * 3));
        await redis.decr(side);
        await limits.release(account.id, holder);
      }
    }),
  );
  return result;
}

/**
 * As a script: MODE=hammer runs CLIENTS connections until UNTIL_MS and prints `result <json>`; MODE=hold
 * takes one slot for HOLDER with LEASE_MS, prints `held`, and waits to be killed.
 */
async function main(): Promise<void> {
  const env = process.env;
  const account: AccountLimits = { id: env.ACCOUNT ?? 'acct', concurrency: Number(env.CAP), rpm: 60_000 };
  const prefix = env.PREFIX ?? '';
  const connections = Array.from({ length: Number(env.CLIENTS ?? 1) }, () => new Redis(env.REDIS_URL ?? ''));
  if (env.MODE === 'hold') {
    const limits = new ProviderLimits(connections[0]!, prefix, [account]);
    const slot = await limits.acquire(account.id, env.HOLDER ?? 'holder', Number(env.LEASE_MS));
    console.warn(`held ${JSON.stringify(slot)}`);
    setInterval(() => {}, 60_000);
    return;
  }
  const result = await hammer(connections, prefix, account, Number(env.UNTIL_MS), env.TAG ?? 'p');
  console.warn(`result ${JSON.stringify(result)}`);
  for (const c of connections) c.disconnect();
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  await main();
}
