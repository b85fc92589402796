import { VideoStore } from '@reelay/jobs';
import { waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PipelineStack, startPipelineStack } from './stack.ts';

let stack: PipelineStack;
beforeAll(async () => {
  // One provider slot, so that a slot given back too early shows as two renders at once.
  stack = await startPipelineStack({ account: { concurrency: 1 } });
});
afterAll(() => stack?.close());

// The OpenAI Videos wire has no cancel: a video canceled mid-render ends for its caller at once, but
// the provider renders on. Giving its slot to the next job then ran one render more than the cap.
it('keeps the slot of a video canceled mid-render until the provider ends that render', async () => {
  // 2 s of rendering, then a short one waiting for the slot.
  const long = await stack.create({ prompt: 'a long render to cancel #sim(render_ms=2000,queue_ms=0)' });
  await waitFor(
    async () =>
      ((await (await stack.call(`/v1/videos/${long.id}`)).json()) as { status: string }).status ===
      'in_progress',
    {
      intervalMs: 10,
      what: 'the long render to start',
    },
  );
  const next = await stack.create({ prompt: 'the next in line #sim(render_ms=100,queue_ms=0)' });
  expect((await stack.call(`/v1/videos/${long.id}/cancel`, { method: 'POST' })).status).toBe(200);
  const canceled = await stack.settle(long.id);
  expect(canceled.status).toBe('canceled');

  expect((await stack.settle(next.id)).status).toBe('completed');
  const jobs = (await stack.sim.stats({ hash: false })).jobs;
  const providerLong = jobs.find((j) => j.prompt.startsWith('a long render to cancel'))!;
  const providerNext = jobs.find((j) => j.prompt.startsWith('the next in line'))!;
  // The provider finished the canceled render before the next one was sent to it.
  expect(providerLong.finishedAt).not.toBeNull();
  expect(Date.parse(providerNext.createdAt)).toBeGreaterThanOrEqual(Date.parse(providerLong.finishedAt!));
  // ...and the canceled video said so at once, not after the provider's end.
  expect(canceled.completed_at! * 1000).toBeLessThanOrEqual(Date.parse(providerLong.finishedAt!));

  const store = new VideoStore(stack.redis.redis, stack.redis.prefix);
  await waitFor(async () => (await store.get('acme', long.id))?.providerDraining === false, {
    what: 'the drain to end',
  });
});
