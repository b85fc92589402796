import type { Estimate } from './history.ts';

export interface PollPolicy {
  /** Never poll one job more often than this. @defaultValue 500 */
  minMs: number;
  /** Never leave a job unpolled longer than this. @defaultValue 30_000 */
  maxMs: number;
  /** With no history yet: the first poll, then doubling up to maxMs. @defaultValue 2_000 */
  coldStartMs: number;
}

export const DEFAULT_POLL_POLICY: PollPolicy = { minMs: 500, maxMs: 30_000, coldStartMs: 2_000 };

/**
 * When to poll a rendering job next, to detect completion soon after it happens with few requests.
 *
 * - Before the expected end: one look halfway (to learn the provider's progress), then at the expected
 *   end minus one standard deviation (most renders finish after it).
 * - Progress refines the expectation: at p% after t ms, a linear render ends at t * 100 / p.
 * - After the expected start of the finish window: short steps of 4% of the expected duration, so the
 *   delay between completion and its detection stays around 2-4% of the render time.
 */
export function nextPollDelay(input: {
  elapsedMs: number;
  progress: number | undefined;
  estimate: Estimate | null;
  polls: number;
  policy?: PollPolicy;
}): number {
  const policy = input.policy ?? DEFAULT_POLL_POLICY;
  const clamp = (ms: number) => Math.round(Math.min(policy.maxMs, Math.max(policy.minMs, ms)));
  const { elapsedMs, progress, estimate } = input;

  if (!estimate) {
    // Nothing known about this kind of render: back off exponentially from a short first look.
    return clamp(policy.coldStartMs * 2 ** Math.min(input.polls, 4));
  }
  let expected = estimate.meanMs;
  if (progress !== undefined && progress >= 10 && progress < 100 && elapsedMs > 0) {
    // Trust the provider's progress as much as history once it is meaningful.
    expected = (expected + (elapsedMs * 100) / progress) / 2;
  }
  const windowStart = expected - estimate.stdMs;
  const step = Math.max(expected * 0.04, policy.minMs);
  if (elapsedMs < windowStart / 2 && input.polls === 0) return clamp(windowStart / 2 - elapsedMs);
  if (elapsedMs < windowStart) return clamp(windowStart - elapsedMs);
  return clamp(step);
}

/** Backoff for retrying a step after a transient failure: exponential with +/-20% jitter. */
export function retryDelay(attempt: number, baseMs = 1_000, capMs = 60_000): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}
