import { describe, expect, it } from 'vitest';
import type { Model, Seconds, Size } from '../src/catalog.ts';
import { parseDirectives } from '../src/directives.ts';
import { formatDuration, RateLimiter, retryHeaders } from '../src/limits.ts';
import { phaseAt, planJob, pollAfterMs } from '../src/timing.ts';

// The render-time model and the rate-limit arithmetic, as pure functions (no clock, no HTTP).

const plan = (
  over: { id?: string; model?: Model; size?: Size; seconds?: Seconds; seed?: string; tf?: number } = {},
) =>
  planJob({
    id: over.id ?? 'video_1',
    seed: over.seed ?? 'seed',
    timeFactor: over.tf ?? 1,
    model: over.model ?? 'sora-2',
    size: over.size ?? '720x1280',
    seconds: over.seconds ?? '4',
    directives: {},
    failure: null,
  });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const renders = (over: Parameters<typeof plan>[0]) =>
  median(Array.from({ length: 101 }, (_, i) => plan({ ...over, id: `video_${i}` }).renderMs));

describe('render-time model', () => {
  it('is deterministic per seed and job id', () => {
    expect(plan()).toEqual(plan());
    expect(plan({ id: 'video_2' }).renderMs).not.toBe(plan().renderMs);
    expect(plan({ seed: 'other' }).renderMs).not.toBe(plan().renderMs);
  });

  it('renders sora-2, 4 s, 720p in 40-62 s, and grows with length, size and model', () => {
    for (let i = 0; i < 200; i++) {
      const { renderMs, queueMs } = plan({ id: `video_${i}` });
      expect(renderMs).toBeGreaterThanOrEqual(40_000);
      expect(renderMs).toBeLessThanOrEqual(62_500);
      expect(queueMs).toBeGreaterThanOrEqual(1000);
      expect(queueMs).toBeLessThanOrEqual(30_000);
    }
    const base = renders({});
    expect(renders({ seconds: '8' })).toBeGreaterThan(base * 1.5);
    expect(renders({ seconds: '20' })).toBeGreaterThan(renders({ seconds: '12' }));
    expect(renders({ model: 'sora-2-pro' })).toBeGreaterThan(base * 2);
    expect(renders({ model: 'sora-2-pro', size: '1920x1080' })).toBeGreaterThan(
      renders({ model: 'sora-2-pro' }) * 1.8,
    );
  });

  it('scales wall-clock durations by the time factor; #sim durations are wall-clock as given', () => {
    const fast = plan({ tf: 0.01 });
    expect(fast.renderMs).toBe(plan().renderMs);
    expect(fast.realRenderMs).toBeCloseTo(plan().renderMs * 0.01, 0);
    const pinned = planJob({
      id: 'video_1',
      seed: 'seed',
      timeFactor: 0.01,
      model: 'sora-2',
      size: '720x1280',
      seconds: '4',
      directives: parseDirectives('x #sim(queue_ms=5, render_ms=200)'),
      failure: null,
    });
    expect(pinned).toMatchObject({ realQueueMs: 5, realRenderMs: 200, queueMs: 500, renderMs: 20_000 });
  });

  it('moves through the phases with non-decreasing progress; a failure freezes it below 100', () => {
    const p = { ...plan(), realQueueMs: 100, realRenderMs: 1000 };
    expect(phaseAt(0, p, 50)).toMatchObject({ status: 'queued', progress: 0, startedAt: null });
    let last = 0;
    for (let t = 100; t < 1100; t += 10) {
      const phase = phaseAt(0, p, t);
      expect(phase.status).toBe('in_progress');
      expect(phase.progress).toBeGreaterThanOrEqual(last);
      expect(phase.progress).toBeLessThan(100);
      last = phase.progress;
    }
    // Even a hair before the end it is not 100: only completion is.
    expect(phaseAt(0, p, 1099.99)).toMatchObject({ status: 'in_progress', progress: 99 });
    expect(phaseAt(0, p, 1100)).toMatchObject({ status: 'completed', progress: 100, finishedAt: 1100 });

    const failing = { ...p, failure: { code: 'x', message: 'y' }, failAt: 0.5 };
    const failed = phaseAt(0, failing, 700);
    expect(failed).toMatchObject({ status: 'failed', finishedAt: 600 });
    expect(failed.progress).toBeLessThan(100);
    expect(failed.progress).toBeGreaterThan(0);
    // A failure at the very end still stops short of 100 (the seed client reads "100%" as done).
    expect(phaseAt(0, { ...failing, failAt: 1 }, 5000).progress).toBe(99);
  });

  it('suggests polling at a quarter of the remaining time, within 1-10 simulated seconds', () => {
    const p = { ...plan(), realQueueMs: 0, realRenderMs: 60_000 };
    expect(pollAfterMs(phaseAt(0, p, 0), 0, 1)).toBe(10_000);
    expect(pollAfterMs(phaseAt(0, p, 59_000), 59_000, 1)).toBe(1000);
    expect(pollAfterMs(phaseAt(0, p, 50_000), 50_000, 1)).toBe(2500);
    expect(pollAfterMs(phaseAt(0, p, 70_000), 70_000, 1)).toBeNull();
  });
});

describe('rate-limit arithmetic', () => {
  it('formats durations the way OpenAI does', () => {
    expect(formatDuration(12.2)).toBe('13ms');
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(360_000)).toBe('6m0s');
    expect(retryHeaders(20)).toEqual({ 'retry-after': '1', 'retry-after-ms': '20' });
    expect(retryHeaders(2001)).toEqual({ 'retry-after': '3', 'retry-after-ms': '2001' });
  });

  it('refills the bucket per simulated minute', () => {
    const limiter = new RateLimiter(60, 0.5); // a token every 500 ms of wall clock
    for (let i = 0; i < 60; i++) expect(limiter.take('k', 0).allowed).toBe(true);
    const refused = limiter.take('k', 0);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 500 });
    expect(refused.headers['x-ratelimit-reset-requests']).toBe('30s');
    expect(limiter.take('k', 499).allowed).toBe(false);
    expect(limiter.take('k', 1000).allowed).toBe(true);
    expect(limiter.take('other', 0).allowed).toBe(true);
  });
});
