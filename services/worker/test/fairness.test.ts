import { VideoStore } from '@reelay/jobs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PipelineStack, startPipelineStack } from './stack.ts';

let stack: PipelineStack;
beforeAll(async () => {
  // One provider slot: every render waits for the one before it, so the order of starts is the policy.
  stack = await startPipelineStack({ account: { concurrency: 1 } });
});
afterAll(() => stack?.close());

it("shares provider capacity between tenants: one tenant's backlog does not starve another", async () => {
  const render = '#sim(render_ms=150,queue_ms=0)';
  const flood = await Promise.all(
    Array.from({ length: 16 }, (_, i) => stack.create({ prompt: `flood ${i} ${render}` })),
  );
  const few: string[] = [];
  for (let i = 0; i < 3; i++) few.push((await stack.createAs('beta', { prompt: `few ${i} ${render}` })).id);

  for (const { id } of flood) expect((await stack.settle(id, 30_000)).status).toBe('completed');
  for (const id of few) expect((await stack.settle(id, 30_000, 'beta')).status).toBe('completed');

  const store = new VideoStore(stack.redis.redis, stack.redis.prefix);
  const arrived = (await store.get('beta', few[0]!))!.createdAt;
  const stats = await stack.sim.stats({ hash: false });
  const startOf = (prefix: string) =>
    stats.jobs.filter((j) => j.prompt.startsWith(prefix)).map((j) => Date.parse(j.startedAt ?? ''));
  const lastFewStart = Math.max(...startOf('few'));
  const floodAfterArrival = startOf('flood').filter((t) => t > arrived);
  // The flood still had a long line when the other tenant arrived (otherwise this test proves nothing)...
  expect(floodAfterArrival.length).toBeGreaterThanOrEqual(8);
  // ...yet the newcomer's three jobs were interleaved with it, not queued behind it: first come first
  // served would start every remaining flood job first.
  const floodBeforeFewDone = floodAfterArrival.filter((t) => t < lastFewStart).length;
  expect(floodBeforeFewDone).toBeLessThanOrEqual(4);
});
