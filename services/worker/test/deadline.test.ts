import { waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PipelineStack, startPipelineStack } from './stack.ts';

let stack: PipelineStack;
beforeAll(async () => {
  stack = await startPipelineStack({ api: { JOB_DEADLINE_MS: '1500' } });
});
afterAll(() => stack?.close());

it('fails a job that outlives its deadline, and frees its provider slot once the provider is done', async () => {
  // The provider takes 4 s; the job's budget is 1.5 s.
  const { id } = await stack.create({ prompt: 'an overlong render #sim(render_ms=4000,queue_ms=0)' });
  const slots = () => stack.redis.redis.zcard(`${stack.redis.prefix}:limits:{sim}:slots`);
  await waitFor(async () => (await slots()) === 1, { what: 'the render to hold a provider slot' });
  const video = await stack.settle(id, 15_000);
  expect(video.status).toBe('failed');
  expect(video.error).toMatchObject({ code: 'deadline_exceeded' });
  // The video failed for its caller, but the provider renders on (the OpenAI wire cannot cancel): the
  // slot stays taken, or the account would run one render over its cap...
  expect(await slots()).toBe(1);
  const provider = (await stack.sim.stats({ hash: false })).jobs.find((j) =>
    j.prompt.startsWith('an overlong'),
  )!;
  expect(provider.finishedAt).toBeNull();
  // ...until the provider finishes it.
  await waitFor(async () => (await slots()) === 0, { timeoutMs: 10_000, what: 'the slot to come back' });
  const finished = (await stack.sim.stats({ hash: false })).jobs.find((j) =>
    j.prompt.startsWith('an overlong'),
  )!;
  expect(finished.finishedAt).not.toBeNull();
});
