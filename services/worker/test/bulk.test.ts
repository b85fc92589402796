import { VideoStore } from '@reelay/jobs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PipelineStack, startPipelineStack } from './stack.ts';

let stack: PipelineStack;
beforeAll(async () => {
  stack = await startPipelineStack({
    account: { concurrency: 10 },
    worker: { POLL_MIN_MS: '40', POLL_MAX_MS: '200' },
  });
});
afterAll(() => stack?.close());

it('follows many renders in flight through the list endpoint, with fewer requests than polls', async () => {
  const ids = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      stack.create({ prompt: `bulk ${i} #sim(render_ms=1500,queue_ms=0)` }),
    ),
  );
  for (const { id } of ids) expect((await stack.settle(id, 30_000)).status).toBe('completed');

  const store = new VideoStore(stack.redis.redis, stack.redis.prefix);
  let polls = 0;
  for (const { id } of ids) polls += (await store.get('acme', id))!.polls;
  const { ops } = await stack.sim.stats({ hash: false });
  const lists = ops.list?.requests ?? 0;
  const retrieves = ops.retrieve?.requests ?? 0;
  // Several jobs' status came from each list answer: the provider saw fewer status requests than
  // Reelay made status checks.
  expect(lists).toBeGreaterThan(0);
  expect(lists + retrieves).toBeLessThan(polls);
});
