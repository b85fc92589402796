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
 * - While history is thin (under 3 renders of the kind): one look halfway, to learn from progress.
 * - The first look after that is at the expected end minus one standard deviation; provider progress
 *   may move the expected end later (a linear render at p% after t ms ends at t * 100 / p), never
 *   earlier, since progress curves tend to run ahead of time.
 * - Then short steps of 2% of the expected duration, so the delay between completion and its detection
 *   stays around 1-3% of the render time. With many renders in flight most of these looks are answered
 *   from the shared list snapshot (bulk.ts), not by requests of their own.
 * - Past the expected end the steps grow with the overrun (a tenth of it): a render that runs far
 *   longer than its kind (stuck, or queued at the provider) is looked at less and less often, up to
 *   `maxMs`, instead of every short step for hours, spending the account's request budget.
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
    expected = Math.max(expected, (elapsedMs * 100) / progress);
  }
  const windowStart = expected - estimate.stdMs;
  const step = Math.max(expected * 0.02, (elapsedMs - expected) * 0.1, policy.minMs);
  if (estimate.samples < 3 && input.polls === 0 && elapsedMs < windowStart / 2) {
    return clamp(windowStart / 2 - elapsedMs);
  }
  if (elapsedMs < windowStart) return clamp(windowStart - elapsedMs);
  return clamp(step);
}

/** Backoff for retrying a step after a transient failure: exponential with +/-20% jitter. */
export function retryDelay(attempt: number, baseMs = 1_000, capMs = 60_000): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}
