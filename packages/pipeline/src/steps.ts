import type { S3Client } from '@aws-sdk/client-s3';
import { TERMINAL_STATUSES, type VideoOutput } from '@reelay/contracts';
import type { VideoRecord, VideoStore } from '@reelay/jobs';
import type { Logger } from '@reelay/logger';
import {
  type AccountConfig,
  type PollResult,
  type ProviderAdapter,
  ProviderError,
  type ProviderHandle,
  type ResultLocator,
} from '@reelay/providers';
import { TruncatedStreamError, uploadStream, videoObjectKey } from '@reelay/storage';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type BulkOptions, BulkStatus } from './bulk.ts';
import { RenderHistory } from './history.ts';
import type { LimitsPort, NotifyPort, PipelineObserver } from './ports.ts';
import { DEFAULT_POLL_POLICY, nextPollDelay, type PollPolicy, retryDelay } from './schedule.ts';
import { WaitingRoom } from './waiting-room.ts';

/** What the queue should do with the job after a step: run it again later, or nothing more. */
export type Next = { delayMs: number; reason: string } | { done: true };

/** The reason of a job parked until a provider slot is handed to it. */
export const WAITING_FOR_SLOT = 'waiting for a provider slot';

export interface PipelineOptions {
  pollPolicy: PollPolicy;
  /** Provider submissions per job; a second only after the provider failed the first. @defaultValue 2 */
  maxSubmissions: number;
  /** Consecutive transient failures of one step before the job fails. @defaultValue 8 */
  maxStepRetries: number;
  /** Download attempts per output within one step (truncated or cut streams). @defaultValue 3 */
  downloadAttempts: number;
  /** A submit whose outcome is unknown is reconciled against jobs created since this long before. */
  reconcileSkewMs: number;
  /**
   * A submit whose outcome is unknown is reconciled only once this long has passed since its POST
   * started: the provider's create timeout plus a margin. Before that the POST may still be in flight
   * (in a worker frozen past its lock, or at a slow provider): a job not listed yet is not a job that
   * was never made, and posting again would pay twice. @defaultValue 45_000
   */
  submitSettleMs: number;
  /** Pages of the provider's job list read to reconcile (newest first, 100 a page). @defaultValue 10 */
  reconcilePages: number;
  /**
   * How long after a video was canceled or failed mid-render the worker keeps watching the provider job
   * (holding its slot) before giving the slot back anyway. @defaultValue 30 min
   */
  drainMaxMs: number;
  /**
   * A job waiting for a provider slot is woken when one is handed to it; this is only the safety net
   * (a slot freed by an expired lease, a lost wake-up). @defaultValue 30_000
   */
  waitSafetyMs: number;
  /** Status through the provider's list endpoint when many jobs are in flight. */
  bulk: Partial<BulkOptions>;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  pollPolicy: DEFAULT_POLL_POLICY,
  maxSubmissions: 2,
  maxStepRetries: 8,
  downloadAttempts: 3,
  reconcileSkewMs: 60_000,
  submitSettleMs: 45_000,
  reconcilePages: 10,
  drainMaxMs: 30 * 60_000,
  waitSafetyMs: 30_000,
  bulk: {},
};

export interface PipelineDeps {
  store: VideoStore;
  /** The render queue, to wake a waiting job when a slot is handed to it. */
  queue: Queue;
  redis: Redis;
  prefix: string;
  s3: S3Client;
  bucket: string;
  accounts: readonly AccountConfig[];
  adapters: ReadonlyMap<string, ProviderAdapter>;
  limits: LimitsPort;
  notify: NotifyPort;
  history: RenderHistory;
  logger: Logger;
  options?: Partial<PipelineOptions>;
  /** Step durations, stored bytes, finished videos (metrics). */
  observer?: PipelineObserver;
}

const OUTPUT_FILES = {
  video: { file: 'video.mp4', contentType: 'video/mp4' },
  thumbnail: { file: 'thumbnail.webp', contentType: 'image/webp' },
  spritesheet: { file: 'spritesheet.jpg', contentType: 'image/jpeg' },
} as const;

/**
 * The per-job step machine: submit -> poll -> fetch/store -> notify. Each call runs the job's current
 * step (read from its record, never from memory) and says when to run again; no worker slot is held
 * while a render runs. Every step is safe to run twice: a crash anywhere re-runs the step from the
 * record, and the only non-repeatable act, the create POST, is fenced by `submitStartedAt` and
 * reconciled against the provider's list before any second POST.
 */
export class RenderPipeline {
  private readonly deps: PipelineDeps;
  private readonly options: PipelineOptions;
  private readonly waiting: WaitingRoom;
  private readonly bulk: BulkStatus;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
    this.options = { ...DEFAULT_PIPELINE_OPTIONS, ...deps.options };
    this.waiting = new WaitingRoom(deps.redis, deps.prefix);
    this.bulk = new BulkStatus(deps.redis, deps.prefix, this.options.bulk);
  }

  async run(tenant: string, videoId: string, log: Logger): Promise<Next> {
    const observer = this.deps.observer;
    if (!observer) return this.runStep(tenant, videoId, log, {});
    const started = performance.now();
    const ran: { step?: string } = {};
    let outcome: 'scheduled' | 'done' | 'error' = 'error';
    try {
      const next = await this.runStep(tenant, videoId, log, ran);
      outcome = 'done' in next ? 'done' : 'scheduled';
      return next;
    } finally {
      if (ran.step !== undefined) {
        const step = ran.step === 'queued' ? 'submit' : ran.step;
        observer.step({ step, outcome, durationMs: performance.now() - started });
      }
    }
  }

  /** `ran.step`: the step the record was on, for the observer. */
  private async runStep(tenant: string, videoId: string, log: Logger, ran: { step?: string }): Promise<Next> {
    const record = await this.deps.store.get(tenant, videoId);
    if (!record) return { done: true };
    ran.step = record.step;
    if (TERMINAL_STATUSES.has(record.status)) {
      // Ended, but its webhook event not yet handed over (a crash between the two, or the api's cancel).
      if (record.step === 'notify') await this.deps.notify.terminal(record.tenant, record.id);
      if (record.providerDraining) return this.drain(record, log);
      // e.g. canceled while queued: make sure no slot stays reserved for it.
      if (record.provider) await this.releaseSlot(record.provider, record.id);
      return { done: true };
    }
    if (Date.now() > record.deadlineAt) {
      return this.fail(record, 'deadline_exceeded', 'The job did not finish before its deadline.', {
        providerLive: this.rendering(record),
      });
    }
    try {
      switch (record.step) {
        case 'queued':
        case 'submit':
          return await this.submit(record, log);
        case 'poll':
          return await this.poll(record, log);
        case 'fetch':
          return await this.fetch(record, log);
        default:
          return await this.finish(record);
      }
    } catch (error) {
      return this.onError(record, error, log);
    }
  }

  // --- submit -------------------------------------------------------------------------------------

  private async submit(record: VideoRecord, log: Logger): Promise<Next> {
    const { store, limits } = this.deps;

    // A create POST was (maybe) sent and its answer lost: find that job instead of paying twice. Also
    // before honoring a cancel: a job found at the provider must be canceled there, which the poll step
    // does once its handle is stored (cancel_requested stays set).
    if (record.submitStartedAt !== null && record.provider && !record.providerJobId) {
      const settlesIn = record.submitStartedAt + this.options.submitSettleMs - Date.now();
      if (settlesIn > 0) return { delayMs: settlesIn, reason: 'a create may still be in flight' };
      const found = await this.reconcile(record, log);
      if (found) return this.accepted(record, record.provider, found, undefined, log);
    }
    if (record.cancelRequested) return this.cancel(record);

    let account = record.provider;
    if (account) {
      if (!(await limits.acquire(account, record.id))) account = null;
    }
    if (!account) {
      const eligible = this.eligibleAccounts(record);
      if (eligible.length === 0) {
        return this.fail(record, 'no_provider', `No configured provider account offers ${record.model}.`);
      }
      const pool = WaitingRoom.pool(eligible);
      const picked = await limits.pick(eligible, record.id);
      if ('waitMs' in picked) {
        // Wait in line (fairly, between tenants) to be handed a slot, instead of retrying for one.
        await this.waiting.join(pool, record.tenant, record.id, record.priority, record.createdAt);
        // A slot may have been freed between the pick and the join: serve the line once now.
        for (const id of eligible) await this.handOff(id);
        return { delayMs: this.options.waitSafetyMs, reason: WAITING_FOR_SLOT };
      }
      account = picked.account;
      await this.waiting.leave(pool, record.tenant, record.id);
    }
    const token = await limits.take(account);
    if (!token.ok) return { delayMs: token.waitMs, reason: 'provider rate budget' };

    // Fence the POST: from here until the handle is stored, a restart reconciles instead of re-posting.
    const submitStartedAt = Date.now();
    const fenced = await store.transition(record.tenant, record.id, 'submitting', {
      provider: account,
      submitStartedAt,
      step: 'submit',
    });
    if (!fenced.applied) {
      // Canceled (or otherwise ended) since this step read the record: never reaches the provider.
      await this.releaseSlot(account, record.id);
      return this.notified(record);
    }
    const adapter = this.adapter(account);
    // The prompt is censored by the logger unless LOG_PROMPTS=true.
    log.debug({ account, model: record.model, prompt: record.prompt }, 'submitting');
    try {
      const result = await adapter.submit({
        model: record.model,
        prompt: record.prompt,
        seconds: record.seconds,
        size: record.size,
        clientRef: record.id,
        ...(await this.inputReference(record)),
      });
      return await this.accepted(record, account, result.handle, result.initial, log);
    } catch (error) {
      if (error instanceof ProviderError && error.kind !== 'retryable') {
        // A definite "no": nothing was created. Free the slot and unfence.
        await store.patch(record.tenant, record.id, { submitStartedAt: null });
        await this.releaseSlot(account, record.id);
        // onError penalizes the record's account, which a first submit has not stored yet: a 429 on the
        // very first create must slow the account down too.
        if (error.kind === 'rate_limited' && record.provider !== account) {
          await this.deps.limits.penalize(account, { retryAfterMs: error.retryAfterMs });
        }
      }
      // Retryable (5xx, reset, timeout): the job may exist; the next run reconciles before re-posting.
      throw error;
    }
  }

  private async accepted(
    record: VideoRecord,
    account: string,
    handle: ProviderHandle,
    initial: PollResult | undefined,
    log: Logger,
  ): Promise<Next> {
    const now = Date.now();
    // The handle is persisted before anything else happens with the job.
    const { applied } = await this.deps.store.transition(record.tenant, record.id, 'start', {
      provider: account,
      providerJobId: handle.id,
      providerExtra: handle.extra ?? null,
      submittedAt: now,
      submissions: record.submissions + 1,
      attempts: record.attempts + 1,
      step: 'poll',
      stepRetries: 0,
      progress: initial?.progress ?? 0,
    });
    if (!applied) return { done: true };
    await this.claim(account, handle.id, record.id);
    log.info({ account, providerJobId: handle.id }, 'submitted');
    if (record.status === 'queued') await this.deps.notify.event(record, 'video.started');
    return {
      delayMs: await this.nextLook(record, account, { elapsedMs: 0, progress: initial?.progress, polls: 0 }),
      reason: 'first poll',
    };
  }

  /**
   * Looks for the job a lost create answer made: same request, created after the POST started. Reads
   * the provider's list newest first, page after page (an account shared with other traffic may have
   * made hundreds of jobs since), until the jobs are older than the POST or the list ends.
   */
  private async reconcile(record: VideoRecord, log: Logger): Promise<ProviderHandle | null> {
    const account = record.provider!;
    const adapter = this.adapter(account);
    const since = (record.submitStartedAt ?? 0) - this.options.reconcileSkewMs;
    let after: string | undefined;
    for (let page = 0; page < this.options.reconcilePages; page++) {
      const token = await this.deps.limits.take(account);
      if (!token.ok)
        throw new ProviderError('rate_limited', 'reconcile_throttled', 'waiting for rate budget', {
          retryAfterMs: token.waitMs,
        });
      const { jobs, hasMore } = await adapter.list({ limit: 100, ...(after ? { after } : {}) });
      for (const job of jobs) {
        if (job.createdAt !== undefined && job.createdAt < since) continue;
        if (job.prompt !== record.prompt || (job.model && job.model !== record.model)) continue;
        if ((job.size && job.size !== record.size) || (job.seconds && job.seconds !== record.seconds))
          continue;
        // Two identical requests in the same window: each provider job goes to one video only.
        if (!(await this.claim(account, job.handle.id, record.id))) continue;
        log.warn({ account, providerJobId: job.handle.id }, 'reconciled a submit whose answer was lost');
        return job.handle;
      }
      const last = jobs.at(-1);
      const olderThanPost = last?.createdAt !== undefined && last.createdAt < since;
      if (!hasMore || !last || olderThanPost) break;
      after = last.handle.id;
    }
    log.warn({ account }, 'no provider job matches the interrupted submit; submitting again');
    return null;
  }

  /** SET NX of provider job -> video: true when this video owns (or already owned) that provider job. */
  private async claim(account: string, providerJobId: string, videoId: string): Promise<boolean> {
    const key = this.deps.store.keys.claim(account, providerJobId);
    const set = await this.deps.redis.set(key, videoId, 'PX', 7 * 24 * 3600 * 1000, 'NX');
    return set === 'OK' || (await this.deps.redis.get(key)) === videoId;
  }

  // --- poll ---------------------------------------------------------------------------------------

  private async poll(record: VideoRecord, log: Logger): Promise<Next> {
    const account = record.provider!;
    const handle = handleOf(record);
    const adapter = this.adapter(account);
    if (record.cancelRequested) {
      if (adapter.supports.cancel) await adapter.cancel(handle).catch(() => {});
      return this.cancel(record, { providerLive: true });
    }
    // Renews the slot's lease (idempotent for the same holder): a long render keeps its slot.
    const inFlight = await this.deps.limits.inFlight(account);
    await this.deps.limits.acquire(account, record.id);
    const shared = await this.bulk.status(
      account,
      adapter,
      handle,
      inFlight,
      async () => (await this.deps.limits.take(account)).ok,
    );
    let result: PollResult;
    if (shared && 'waitMs' in shared) {
      return { delayMs: shared.waitMs, reason: 'waiting for the shared status snapshot' };
    }
    if (shared) {
      result = shared;
    } else {
      const token = await this.deps.limits.take(account);
      if (!token.ok) return { delayMs: token.waitMs, reason: 'provider rate budget' };
      result = await adapter.poll(handle);
      if (result.hints) await this.deps.limits.observe(account, result.hints);
    }
    const polls = record.polls + 1;
    const elapsedMs = Date.now() - (record.submittedAt ?? Date.now());

    switch (result.state) {
      case 'queued':
      case 'running': {
        const progress = result.progress ?? record.progress;
        if (progress !== record.progress) {
          await this.deps.store.transition(record.tenant, record.id, 'progress', {
            progress,
            polls,
            stepRetries: 0,
          });
          await this.deps.notify.event(record, 'video.progress', { progress });
        } else {
          await this.deps.store.patch(record.tenant, record.id, { polls, stepRetries: 0 });
        }
        const delayMs = await this.nextLook(record, account, { elapsedMs, progress: result.progress, polls });
        return { delayMs, reason: 'rendering' };
      }
      case 'succeeded': {
        // It finished somewhere between the previous look (the record's last update) and this one: count
        // the midpoint, not the moment we noticed, or the estimate would creep later with every render.
        const previousLook = record.polls > 0 ? record.updatedAt : Date.now();
        const finishedAt = (previousLook + Date.now()) / 2;
        await this.deps.history.record(
          this.kind(record, account),
          finishedAt - (record.submittedAt ?? finishedAt),
        );
        // The render is over: its provider slot is free even though the download is still to come.
        await this.releaseSlot(account, record.id);
        const next = {
          ...record,
          polls,
          step: 'fetch',
          progress: 100,
          stepRetries: 0,
          ...(result.costUsd !== undefined ? { costUsd: result.costUsd, costEstimated: false } : {}),
        };
        await this.deps.store.transition(record.tenant, record.id, 'progress', {
          polls,
          step: 'fetch',
          progress: 100,
          stepRetries: 0,
          ...(result.costUsd !== undefined ? { costUsd: result.costUsd, costEstimated: false } : {}),
        });
        log.info({ account, polls, elapsedMs }, 'render finished');
        // Download now, in this run: provider links can expire within the hour.
        return this.fetch(next, log, result);
      }
      case 'canceled':
        await this.releaseSlot(account, record.id);
        return this.cancel(record);
      case 'expired':
        await this.releaseSlot(account, record.id);
        return this.fail(record, 'provider_expired', 'The provider expired the job before it finished.');
      case 'failed': {
        await this.releaseSlot(account, record.id);
        const error = result.error ?? {
          kind: 'terminal',
          code: 'provider_failed',
          message: 'The provider failed the job.',
        };
        if (error.kind === 'retryable' && record.submissions < this.options.maxSubmissions) {
          // The provider failed it on its side: this is the one case where a second submit is right.
          log.warn({ account, code: error.code }, 'provider failed the render; submitting again');
          await this.deps.store.patch(record.tenant, record.id, {
            step: 'submit',
            provider: null,
            providerJobId: null,
            providerExtra: null,
            submitStartedAt: null,
            polls,
          });
          return { delayMs: retryDelay(record.submissions), reason: 'resubmit after provider failure' };
        }
        return this.fail(record, error.code, error.message);
      }
    }
  }

  // --- fetch and store ----------------------------------------------------------------------------

  private async fetch(record: VideoRecord, log: Logger, result?: PollResult): Promise<Next> {
    const account = record.provider!;
    const adapter = this.adapter(account);
    const handle = handleOf(record);
    let results = result?.results;
    if (!results) {
      // A re-run after a crash: ask again where the outputs are (links may have been renewed).
      const token = await this.deps.limits.take(account);
      if (!token.ok) return { delayMs: token.waitMs, reason: 'provider rate budget' };
      const again = await adapter.poll(handle);
      if (again.state !== 'succeeded') {
        return this.fail(
          record,
          'provider_result_missing',
          `The provider reports ${again.state} for a finished job.`,
        );
      }
      results = again.results;
    }
    if (!results?.video)
      return this.fail(record, 'provider_result_missing', 'The provider finished the job without a video.');

    const outputs: VideoOutput[] = [];
    for (const variant of ['video', 'thumbnail', 'spritesheet'] as const) {
      const locator = results[variant];
      if (!locator) continue;
      const stored = await this.store(record, adapter, handle, variant, locator, log);
      if (stored) outputs.push(stored);
      else if (variant === 'video')
        throw new ProviderError('retryable', 'download_failed', 'could not download the video');
    }
    return this.complete(record, outputs);
  }

  /** One output into S3, retrying cut downloads from the start (the hash must cover the whole file). */
  private async store(
    record: VideoRecord,
    adapter: ProviderAdapter,
    handle: ProviderHandle,
    variant: keyof typeof OUTPUT_FILES,
    locator: ResultLocator,
    log: Logger,
  ): Promise<VideoOutput | null> {
    const { file, contentType } = OUTPUT_FILES[variant];
    const key = videoObjectKey(record.tenant, record.id, file);
    for (let attempt = 1; attempt <= this.options.downloadAttempts; attempt++) {
      try {
        const started = performance.now();
        const stream = await adapter.open(handle, locator);
        const stored = await uploadStream(this.deps.s3, {
          bucket: this.deps.bucket,
          key,
          body: stream.body,
          contentType: stream.contentType || contentType,
          expectedBytes: stream.contentLength,
        });
        this.deps.observer?.stored({ variant, bytes: stored.bytes, durationMs: performance.now() - started });
        return {
          variant,
          key,
          bytes: stored.bytes,
          sha256: stored.sha256,
          content_type: stream.contentType || contentType,
        };
      } catch (error) {
        const transient =
          error instanceof TruncatedStreamError ||
          !(error instanceof ProviderError) ||
          error.kind === 'retryable';
        log.warn({ variant, attempt, err: (error as Error).message }, 'download failed');
        if (!transient) {
          if (variant === 'video') throw error;
          return null;
        }
      }
    }
    return null;
  }

  private async complete(record: VideoRecord, outputs: VideoOutput[]): Promise<Next> {
    const now = Date.now();
    const { applied } = await this.deps.store.transition(record.tenant, record.id, 'complete', {
      outputs,
      progress: 100,
      completedAt: now,
      expiresAt: null,
      step: record.webhookUrl ? 'notify' : 'done',
      stepRetries: 0,
    });
    if (applied) this.finished(record, 'completed');
    return this.notified(record);
  }

  /** After a terminal transition: hand the event to the webhook queue (no-op without a webhook). */
  private async notified(record: VideoRecord): Promise<Next> {
    if (record.webhookUrl) await this.deps.notify.terminal(record.tenant, record.id);
    return { done: true };
  }

  private async finish(record: VideoRecord): Promise<Next> {
    // A job left on `notify` while still running cannot happen (the step is set with the terminal
    // status); anything else unknown simply ends.
    if (record.step === 'notify') await this.deps.notify.terminal(record.tenant, record.id);
    return { done: true };
  }

  // --- endings and errors -------------------------------------------------------------------------

  /**
   * `providerLive`: the provider is (as far as we know) still rendering this job. The video ends now for
   * its caller, but the slot stays taken and the job drains (see `drain`), or the account would run one
   * render more than its cap for as long as the provider keeps going.
   */
  private async fail(
    record: VideoRecord,
    code: string,
    message: string,
    { providerLive = false } = {},
  ): Promise<Next> {
    if (record.provider && !providerLive) await this.releaseSlot(record.provider, record.id);
    const { applied } = await this.deps.store.transition(record.tenant, record.id, 'fail', {
      errorCode: code,
      errorMessage: message,
      completedAt: Date.now(),
      step: record.webhookUrl ? 'notify' : 'done',
      ...(providerLive ? { providerDraining: true } : {}),
    });
    if (applied) this.finished(record, 'failed');
    return this.ended(record, applied && providerLive);
  }

  private async cancel(record: VideoRecord, { providerLive = false } = {}): Promise<Next> {
    if (record.provider && !providerLive) await this.releaseSlot(record.provider, record.id);
    const { applied } = await this.deps.store.transition(record.tenant, record.id, 'cancel', {
      completedAt: Date.now(),
      step: record.webhookUrl ? 'notify' : 'done',
      ...(providerLive ? { providerDraining: true } : {}),
    });
    if (applied) this.finished(record, 'canceled');
    return this.ended(record, applied && providerLive);
  }

  /** After a terminal transition: the webhook event handed over, then done, or on to draining. */
  private async ended(record: VideoRecord, draining: boolean): Promise<Next> {
    const next = await this.notified(record);
    return draining ? { delayMs: this.options.pollPolicy.minMs, reason: 'provider still rendering' } : next;
  }

  /** Submitted and not yet seen finished: the provider is rendering it. */
  private rendering(record: VideoRecord): boolean {
    return record.step === 'poll' && record.providerJobId !== null;
  }

  /**
   * A video that ended while its provider job was still rendering: poll that job (it may have been
   * asked to cancel, or may not be cancelable at all) until the provider ends it, keeping the account's
   * slot meanwhile; then free the slot. Bounded by `drainMaxMs`: a job the provider never ends does not
   * hold a slot forever.
   */
  private async drain(record: VideoRecord, log: Logger): Promise<Next> {
    const account = record.provider!;
    const stop = async (why: string) => {
      await this.deps.store.patch(record.tenant, record.id, { providerDraining: false });
      await this.releaseSlot(account, record.id);
      log.info({ account, providerJobId: record.providerJobId, why }, 'provider job over; slot freed');
      return { done: true } as const;
    };
    if (Date.now() - (record.completedAt ?? record.updatedAt) > this.options.drainMaxMs) {
      return stop('still rendering after drainMaxMs');
    }
    await this.deps.limits.acquire(account, record.id);
    const token = await this.deps.limits.take(account);
    if (!token.ok) return { delayMs: token.waitMs, reason: 'provider rate budget' };
    const handle = handleOf(record);
    let result: PollResult;
    try {
      result = await this.adapter(account).poll(handle);
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'job_not_found') return stop('job gone');
      // Transient: look again later (drainMaxMs bounds the whole).
      return { delayMs: retryDelay(1), reason: 'provider status unavailable while draining' };
    }
    if (result.hints) await this.deps.limits.observe(account, result.hints);
    if (result.state !== 'queued' && result.state !== 'running') return stop(result.state);
    const polls = record.polls + 1;
    await this.deps.store.patch(record.tenant, record.id, { polls });
    const elapsedMs = Date.now() - (record.submittedAt ?? Date.now());
    const delayMs = await this.nextLook(record, account, { elapsedMs, progress: result.progress, polls });
    return { delayMs, reason: 'provider still rendering' };
  }

  /** When to look at a render next, from what this kind of render took before (`nextPollDelay`). */
  private async nextLook(
    record: VideoRecord,
    account: string,
    look: { elapsedMs: number; progress: number | undefined; polls: number },
  ): Promise<number> {
    const estimate = await this.deps.history.get(this.kind(record, account));
    return nextPollDelay({ ...look, estimate, policy: this.options.pollPolicy });
  }

  private finished(record: VideoRecord, status: 'completed' | 'failed' | 'canceled'): void {
    this.deps.observer?.finished({
      tenant: record.tenant,
      model: record.model,
      status,
      costUsd: record.costUsd,
    });
  }

  private async onError(record: VideoRecord, error: unknown, log: Logger): Promise<Next> {
    if (error instanceof ProviderError) {
      if (error.kind === 'rate_limited') {
        if (record.provider)
          await this.deps.limits.penalize(record.provider, { retryAfterMs: error.retryAfterMs });
        return { delayMs: error.retryAfterMs ?? retryDelay(1), reason: 'rate limited' };
      }
      if (error.kind === 'content_rejected' || error.kind === 'terminal') {
        if (error.code === 'job_not_found' && record.step === 'poll') {
          return this.fail(record, 'provider_job_lost', 'The provider no longer knows this job.');
        }
        return this.fail(record, error.code, error.message);
      }
    }
    // Transient (provider 5xx, network, S3, Redis): bounded retries with backoff, within the deadline.
    const retries = record.stepRetries + 1;
    if (retries > this.options.maxStepRetries) {
      const code = error instanceof ProviderError ? error.code : 'internal_error';
      return this.fail(record, code, `Gave up after ${retries - 1} retries: ${(error as Error).message}`);
    }
    await this.deps.store.patch(record.tenant, record.id, { stepRetries: retries });
    log.warn({ step: record.step, retries, err: (error as Error).message }, 'step failed; will retry');
    return { delayMs: retryDelay(retries), reason: 'retry after transient failure' };
  }

  /**
   * The step code itself kept crashing (not a provider problem: those are handled inside the steps)
   * until the queue gave up: end the video as failed rather than leave it looking alive forever.
   */
  async abandon(tenant: string, videoId: string, message: string): Promise<void> {
    const record = await this.deps.store.get(tenant, videoId);
    if (!record || TERMINAL_STATUSES.has(record.status)) return;
    await this.fail(record, 'internal_error', `Reelay could not process this job: ${message}`);
  }

  // --- slots --------------------------------------------------------------------------------------

  /**
   * Whether a slot was handed to this waiting job (its account is recorded before the wake-up is
   * attempted). The worker asks after parking the job: a hand-off that raced with the parking could not
   * wake it, and this is how the job wakes itself instead of sleeping the safety delay on a held slot.
   */
  async granted(tenant: string, videoId: string): Promise<boolean> {
    const record = await this.deps.store.get(tenant, videoId);
    return record?.status === 'queued' && record.provider !== null && record.submitStartedAt === null;
  }

  /** Frees a job's provider slot and hands it straight to the next job waiting in line for it. */
  private async releaseSlot(account: string, videoId: string): Promise<void> {
    await this.deps.limits.release(account, videoId);
    await this.handOff(account);
  }

  /**
   * Gives free slots of `account` to the next waiters: the slot is taken in the waiter's name (so no
   * newcomer can grab it first), recorded as its account, and its delayed job is woken.
   */
  private async handOff(account: string): Promise<void> {
    for (const pool of await this.waiting.poolsWith(account)) {
      for (;;) {
        const waiter = await this.waiting.next(pool);
        if (!waiter) break;
        // Canceled or deleted while in line: it needs no slot (and would never release one).
        const record = await this.deps.store.get(waiter.tenant, waiter.videoId);
        if (record?.status !== 'queued') continue;
        if (!(await this.deps.limits.acquire(account, waiter.videoId))) {
          await this.waiting.putBack(waiter);
          break;
        }
        await this.deps.store.patch(waiter.tenant, waiter.videoId, { provider: account });
        const job = await this.deps.queue.getJob(waiter.videoId);
        // Only a delayed job needs waking; one running right now will find its slot taken for it.
        await job?.promote().catch(() => {});
      }
    }
  }

  // --- helpers ------------------------------------------------------------------------------------

  private adapter(account: string): ProviderAdapter {
    const adapter = this.deps.adapters.get(account);
    if (!adapter)
      throw new ProviderError('terminal', 'no_provider', `Provider account '${account}' is not configured.`);
    return adapter;
  }

  private eligibleAccounts(record: VideoRecord): string[] {
    return this.deps.accounts
      .filter((a) => !record.providerHint || a.id === record.providerHint)
      .filter((a) => !a.models || a.models.includes(record.model))
      .map((a) => a.id);
  }

  private kind(record: VideoRecord, account: string): string {
    return RenderHistory.kind(account, record.model, record.size, record.seconds);
  }

  private async inputReference(record: VideoRecord) {
    const input = record.inputReference;
    if (!input) return {};
    if (input.kind === 'url') return { inputReference: { url: input.url } };
    if (input.kind === 'file_id') return { inputReference: { fileId: input.fileId } };
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const object = await this.deps.s3.send(
      new GetObjectCommand({ Bucket: this.deps.bucket, Key: input.key }),
    );
    const data = Buffer.from(await object.Body!.transformToByteArray());
    return {
      inputReference: {
        data,
        contentType: input.contentType,
        filename: input.key.split('/').pop() ?? 'input',
      },
    };
  }
}

/** The provider handle a record stores once its job was accepted (id and any wire-specific extras). */
function handleOf(record: VideoRecord): ProviderHandle {
  return { id: record.providerJobId!, ...(record.providerExtra ? { extra: record.providerExtra } : {}) };
}
