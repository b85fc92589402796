import type { SimulatorConfig } from './env.ts';
import { invalid } from './errors.ts';
import { FaultInjector, type Op } from './faults.ts';
import type { Flavor } from './flavors.ts';
import { concurrencyLimited, RateLimiter } from './limits.ts';
import type { MediaLibrary } from './media.ts';
import type { CreateParams } from './params.ts';
import { Stats } from './stats.ts';
import { type Job, JobStore, newJobId } from './store.ts';
import { type Failure, phaseAt, planJob } from './timing.ts';

// The simulated provider's state and its domain rules (admission, failure, planning), apart from HTTP:
// routes translate the wire to these calls. One instance per server; `reset()` returns it to boot state.

export class Simulator {
  readonly config: SimulatorConfig;
  readonly media: MediaLibrary;
  readonly store = new JobStore();
  readonly stats = new Stats();
  readonly faults: FaultInjector;
  readonly limiter: RateLimiter;

  constructor(config: SimulatorConfig, media: MediaLibrary) {
    this.config = config;
    this.media = media;
    this.faults = new FaultInjector(config);
    this.limiter = new RateLimiter(config.SIM_RPM, config.SIM_TIME_FACTOR);
  }

  /** Admits and plans a job, or throws the 400/429 a provider would answer. */
  create(op: Op, key: string, flavor: Flavor, params: CreateParams, remixedFrom: string | null): Job {
    const now = Date.now();
    const { directives } = params;
    if (directives.bytes !== undefined) {
      const minimum = this.media.minimumBytes(params.size, params.seconds);
      if (directives.bytes < minimum) {
        throw invalid(
          'prompt',
          `#sim(bytes=...) must be at least ${minimum} for ${params.size}, ${params.seconds}s.`,
        );
      }
    }
    const active = this.store.active(key, now);
    if (active.length >= this.config.SIM_CONCURRENCY) {
      this.stats.bump(op, key, 'concurrencyLimited');
      const soonest = Math.min(...active.map(({ phase }) => phase.endsAt));
      throw concurrencyLimited(soonest - now, this.config.SIM_CONCURRENCY);
    }
    const id = newJobId(flavor);
    const plan = planJob({
      id,
      seed: this.config.SIM_SEED,
      timeFactor: this.config.SIM_TIME_FACTOR,
      model: params.model,
      size: params.size,
      seconds: params.seconds,
      directives,
      failure: this.failureFor(params),
    });
    this.stats.bump(op, key, 'creates');
    return this.store.add({
      id,
      key,
      flavor,
      prompt: params.prompt,
      model: params.model,
      size: params.size,
      seconds: params.seconds,
      remixedFrom,
      inputReference: params.inputReference,
      createdAt: now,
      plan,
      directives,
    });
  }

  /** The moderation marker wins over a `#sim(fail=...)`: it is what a real provider would do first. */
  private failureFor(params: CreateParams): Failure | null {
    const marker = this.config.SIM_MODERATION_MARKER.toLowerCase();
    if (marker !== '' && params.prompt.toLowerCase().includes(marker)) return MODERATION;
    const code = params.directives.fail;
    if (code === undefined) return null;
    if (code === 'moderation') return MODERATION;
    if (code === 'error')
      return { code: 'internal_error', message: 'Video generation failed due to an internal error.' };
    return { code, message: `Video generation failed (${code}).` };
  }

  /** The `GET /_sim/stats` document: configuration, counters, pending faults and every job. */
  async report(hash: boolean) {
    const c = this.config;
    return {
      config: {
        flavor: c.SIM_FLAVOR,
        timeFactor: c.SIM_TIME_FACTOR,
        rpm: c.SIM_RPM,
        concurrency: c.SIM_CONCURRENCY,
        seed: c.SIM_SEED,
      },
      ...this.stats.snapshot(),
      faultsPending: this.faults.pending(),
      jobs: await this.jobStats(hash),
    };
  }

  /** Everything a test or bench may want to assert on, per job; hashing is optional (it reads the bytes). */
  async jobStats(hash: boolean) {
    const now = Date.now();
    const jobs = [];
    for (const job of this.store.all()) {
      const phase = phaseAt(job.createdAt, job.plan, now);
      const digest =
        phase.status !== 'completed'
          ? null
          : hash
            ? await this.media.digest(job)
            : this.media.knownDigest(job.id);
      jobs.push({
        id: job.id,
        key: job.key,
        flavor: job.flavor,
        prompt: job.prompt,
        model: job.model,
        size: job.size,
        seconds: job.seconds,
        remixedFrom: job.remixedFrom,
        inputReference: job.inputReference,
        status: phase.status,
        progress: phase.progress,
        error: phase.status === 'failed' ? job.plan.failure : null,
        deleted: job.deletedAt !== null,
        /** Simulated (provider-clock) durations, ms. */
        queueMs: job.plan.queueMs,
        renderMs: job.plan.renderMs,
        /** Wall-clock durations, ms. */
        realQueueMs: Math.round(job.plan.realQueueMs),
        realRenderMs: Math.round(job.plan.realRenderMs),
        /** Wall-clock instants (ISO); startedAt/finishedAt are null until reached. */
        createdAt: iso(job.createdAt),
        startedAt: phase.startedAt === null ? null : iso(phase.startedAt),
        finishedAt: phase.finishedAt === null ? null : iso(phase.finishedAt),
        completedAt: phase.status === 'completed' && phase.finishedAt !== null ? iso(phase.finishedAt) : null,
        bytes: phase.status === 'completed' ? this.media.source(job, 'video').size : null,
        sha256: digest?.sha256 ?? null,
      });
    }
    return jobs;
  }

  reset(): void {
    this.store.clear();
    this.stats.clear();
    this.faults.clear();
    this.limiter.clear();
    this.media.clear();
  }
}

export type SimStats = Awaited<ReturnType<Simulator['report']>>;
export type JobStats = SimStats['jobs'][number];

const MODERATION: Failure = {
  code: 'moderation_blocked',
  message: 'Your request was blocked by our moderation system.',
};

const iso = (ms: number) => new Date(Math.round(ms)).toISOString();
