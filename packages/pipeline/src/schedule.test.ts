import { describe, expect, it } from 'vitest';
import { nextPollDelay } from './schedule.ts';

const policy = { minMs: 500, maxMs: 30_000, coldStartMs: 2_000 };
const estimate = { meanMs: 100_000, stdMs: 10_000, samples: 20 };
const delay = (elapsedMs: number, progress?: number) =>
  nextPollDelay({ elapsedMs, progress, estimate, polls: 5, policy });

describe('nextPollDelay', () => {
  it('backs off exponentially while nothing is known about the kind of render', () => {
    const cold = (polls: number) =>
      nextPollDelay({ elapsedMs: 0, progress: undefined, estimate: null, polls, policy });
    expect([0, 1, 2, 3, 4, 9].map(cold)).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('waits for the expected end minus one deviation, then looks every 2% of the expected duration', () => {
    // 80 s to the window, clamped to maxMs.
    expect(delay(10_000)).toBe(30_000);
    expect(delay(75_000)).toBe(15_000);
    expect(delay(89_000)).toBe(1_000);
    expect(delay(95_000)).toBe(2_000);
  });

  it('moves the expected end later (never earlier) with the provider progress', () => {
    // 50% after 100 s: the end is expected at 200 s, the window opens at 190 s.
    expect(delay(100_000, 50)).toBe(30_000);
    expect(delay(170_000, 85)).toBe(20_000);
    // 95% after 185 s: expected at ~194.7 s, inside the window: steps of 2% of that.
    expect(delay(185_000, 95)).toBe(3_895);
  });

  // A render far past its kind's expected end was polled every 2% step until its deadline (hours of
  // requests from the account's budget); the step now grows with a tenth of the overrun.
  it('looks less often the further a render runs past its expected end, up to maxMs', () => {
    expect(delay(110_000)).toBe(2_000);
    expect(delay(150_000)).toBe(5_000);
    expect(delay(300_000)).toBe(20_000);
    expect(delay(3_600_000)).toBe(30_000);
    const looksInAnHour = (() => {
      let t = 100_000;
      let n = 0;
      while (t < 3_700_000) {
        t += delay(t);
        n++;
      }
      return n;
    })();
    expect(looksInAnHour).toBeLessThan(200);
  });
});
