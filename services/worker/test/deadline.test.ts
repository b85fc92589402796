import { waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PipelineStack, startPipelineStack } from './stack.ts';

let stack: PipelineStack;
beforeAll(async () => {
  stack = await startPipelineStack({ api: { JOB_DEADLINE_MS: '1500' } });
});
afterAll(() => stack?.close());

it('fails a job that outlives its deadline, and frees its provider slot', async () => {
  // The provider would take a minute; the job's budget is 1.5 s.
  const { id } = await stack.create({ prompt: 'an endless render #sim(render_ms=60000)' });
  const slots = () => stack.redis.redis.zcard(`${stack.redis.prefix}:limits:{sim}:slots`);
  await waitFor(async () => (await slots()) === 1, { what: 'the render to hold a provider slot' });
  const video = await stack.settle(id, 15_000);
  expect(video.status).toBe('failed');
  expect(video.error).toMatchObject({ code: 'deadline_exceeded' });
  expect(await slots()).toBe(0);
});
