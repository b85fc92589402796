import { dimensions, type Model, type Seconds, type Size } from './catalog.ts';
import type { Directives } from './directives.ts';
import { lognormal, seededRandom } from './random.ts';

// The render-time model. A job waits in the provider's queue, then renders; both durations are drawn
// once at create time and the status is derived from the clock on every read (no timer per job), so a
// million idle jobs cost memory only.
//
// Calibration (SIM_TIME_FACTOR = 1): sora-2, 4 s, 720x1280 renders in ~50 s (+-20%: 40-62 s), which is
// what Sora 2 users reported; render time grows a bit less than linearly with clip length (x1.8 for
// 8 s, x3.9 for 20 s) and roughly with pixel count (1080p is x2.25); sora-2-pro is ~3x slower.
// The queue wait is heavy-tailed: typically ~5 s, sometimes 30 s.

const BASE_RENDER_MS: Record<Model, number> = { 'sora-2': 50_000, 'sora-2-pro': 150_000 };
const BASE_QUEUE_MS: Record<Model, number> = { 'sora-2': 5_000, 'sora-2-pro': 8_000 };
const REFERENCE_PIXELS = 720 * 1280;
const REFERENCE_SECONDS = 4;

export interface Failure {
  code: string;
  message: string;
}

export interface Plan {
  /** Simulated (provider-clock) durations, as a real provider would take them. */
  queueMs: number;
  renderMs: number;
  /** Wall-clock durations: simulated x SIM_TIME_FACTOR, or a `#sim(...)` override as given. */
  realQueueMs: number;
  realRenderMs: number;
  /** The failure the job ends in, and at which fraction of its render; null when it completes. */
  failure: Failure | null;
  failAt: number | null;
}

export interface PlanInput {
  id: string;
  seed: string;
  timeFactor: number;
  model: Model;
  size: Size;
  seconds: Seconds;
  directives: Directives;
  failure: Failure | null;
}

export function planJob(input: PlanInput): Plan {
  const random = seededRandom(input.seed, input.id);
  const { width, height } = dimensions(input.size);
  const lengthFactor = (Number(input.seconds) / REFERENCE_SECONDS) ** 0.85;
  const pixelFactor = ((width * height) / REFERENCE_PIXELS) ** 0.9;
  const simRender =
    BASE_RENDER_MS[input.model] * lengthFactor * pixelFactor * lognormal(random, 0.1, 0.8, 1.25);
  const simQueue = BASE_QUEUE_MS[input.model] * lognormal(random, 0.7, 0.2, 6);
  const failAtDraw = 0.3 + 0.4 * random();

  const { directives, timeFactor } = input;
  const realQueueMs = directives.queueMs ?? simQueue * timeFactor;
  const realRenderMs = directives.renderMs ?? simRender * timeFactor;
  return {
    queueMs: Math.round(directives.queueMs === undefined ? simQueue : directives.queueMs / timeFactor),
    renderMs: Math.round(directives.renderMs === undefined ? simRender : directives.renderMs / timeFactor),
    realQueueMs,
    realRenderMs,
    failure: input.failure,
    failAt: input.failure ? (directives.failAt ?? failAtDraw) : null,
  };
}

export type Status = 'queued' | 'in_progress' | 'completed' | 'failed';

export interface Phase {
  status: Status;
  /** 0 while queued, 1..99 while rendering, 100 only when completed; a failure freezes it. */
  progress: number;
  /** Wall-clock ms when the render started / the job reached its final state; null until then. */
  startedAt: number | null;
  finishedAt: number | null;
  /** Wall-clock ms at which the job will finish (known in advance: the plan is fixed). */
  endsAt: number;
}

/** Where a job created at `createdAt` (epoch ms) stands at `now`. */
export function phaseAt(createdAt: number, plan: Plan, now: number): Phase {
  const start = createdAt + plan.realQueueMs;
  const endsAt = start + plan.realRenderMs * (plan.failAt ?? 1);
  if (now < start) return { status: 'queued', progress: 0, startedAt: null, finishedAt: null, endsAt };
  if (now < endsAt) {
    const progress = curve((now - start) / plan.realRenderMs);
    return { status: 'in_progress', progress, startedAt: start, finishedAt: null, endsAt };
  }
  if (plan.failure) {
    return {
      status: 'failed',
      progress: curve(plan.failAt ?? 0),
      startedAt: start,
      finishedAt: endsAt,
      endsAt,
    };
  }
  return { status: 'completed', progress: 100, startedAt: start, finishedAt: endsAt, endsAt };
}

/**
 * Progress is not linear: fast at first, then a long crawl through the 90s, like real renders (and
 * like the "stuck at 99%" a poller must tolerate). Capped at 99 so only completion shows 100.
 */
function curve(fraction: number): number {
  const x = Math.min(1, Math.max(0, fraction));
  return Math.min(99, Math.floor(100 * (1 - (1 - x) ** 1.7)));
}

/**
 * The `openai-poll-after-ms` suggestion: a quarter of the expected remaining time, between 1 and 10
 * simulated seconds (scaled like everything else), so pollers neither hammer nor oversleep.
 */
export function pollAfterMs(phase: Phase, now: number, timeFactor: number): number | null {
  if (phase.status === 'completed' || phase.status === 'failed') return null;
  const min = Math.max(1, 1000 * timeFactor);
  const max = Math.max(min, 10_000 * timeFactor);
  return Math.round(Math.min(max, Math.max(min, (phase.endsAt - now) / 4)));
}
