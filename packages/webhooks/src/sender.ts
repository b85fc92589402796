import { randomUUID } from 'node:crypto';
import { TERMINAL_STATUSES, type WebhookEvent } from '@reelay/contracts';
import type { VideoRecord, VideoStore } from '@reelay/jobs';
import type { Logger } from '@reelay/logger';
import type { Redis } from 'ioredis';
import { Endpoints, endpointOf } from './endpoints.ts';
import { WebhookKeys } from './keys.ts';
import { type AttemptOutcome, DeliveryLog, type ErrorClass } from './log.ts';
import { buildPayload } from './payload.ts';
import type { WebhookJobData } from './queue.ts';
import { parseRetryAfter, type RetryPolicy, retryDelay } from './schedule.ts';
import type { WebhookSecrets } from './secrets.ts';
import { signMessage } from './sign.ts';

/** An HTTP answer as the guarded client gives it: the body already cut to a few KB. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  durationMs: number;
}

/**
 * POSTs through the SSRF guard (packages/netguard in production wiring). It throws an Error whose
 * `kind` says what went wrong: blocked, dns, connect, timeout, tls, reset or protocol.
 */
export type HttpSend = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; timeoutMs: number },
) => Promise<HttpAnswer>;

export interface SenderOptions {
  retry: RetryPolicy;
  /** Per attempt. @defaultValue 10_000 */
  timeoutMs: number;
  /** Deliveries in flight to one endpoint, across all worker processes. @defaultValue 4 */
  endpointConcurrency: number;
  /** An endpoint failing without a success for this long is disabled. @defaultValue 5 days */
  disableAfterMs: number;
}

/** What the sender reports for metrics (packages/metrics implements it); must not throw. */
export interface DeliveryObserver {
  /** One logged attempt: its event, outcome, status (null without an answer) and duration. */
  attempt(event: {
    event: WebhookEvent;
    outcome: AttemptOutcome;
    status: number | null;
    errorClass: ErrorClass | null;
    durationMs: number;
  }): void;
}

export interface SenderDeps {
  redis: Redis;
  prefix: string;
  store: VideoStore;
  secrets: WebhookSecrets;
  send: HttpSend;
  /** A fresh presigned GET link to a stored output. */
  presign: (key: string) => Promise<string>;
  /**
   * Wakes a delivery job parked for an endpoint slot (BullMQ promote); false when it is no longer
   * parked (already woken by its safety delay, or gone), so the next one in line is tried.
   */
  wake: (jobId: string) => Promise<boolean>;
  logger: Logger;
  options: SenderOptions;
  /** Attempt outcomes and durations (metrics). */
  observer?: DeliveryObserver;
}

/** What the queue should do after one run of a delivery job. */
export type DeliveryResult =
  | { kind: 'done'; outcome: AttemptOutcome }
  /**
   * The endpoint has `cap` deliveries in flight: park the job (`park`) until a slot frees, without
   * counting an attempt.
   */
  | { kind: 'busy'; origin: string }
  /** Failed, attempts remain: retry after `delayMs` (the schedule, or the endpoint's Retry-After). */
  | { kind: 'retry'; delayMs: number };

/** Of an endpoint's answer (or an error), this much is kept in the delivery log. */
export const RESPONSE_KEEP = 1024;

/**
 * Where a webhook is signed and sent: builds the payload, signs it with the tenant's secrets, sends it
 * through the SSRF guard under the endpoint's in-flight cap, logs the attempt, and decides between
 * delivered, retry (on the schedule, honoring Retry-After), and gave up (410 Gone, out of attempts,
 * endpoint disabled).
 */
export class WebhookSender {
  private readonly deps: SenderDeps;
  private readonly endpoints: Endpoints;
  private readonly log: DeliveryLog;
  private readonly keys: WebhookKeys;
  private readonly streakGapMs: number;

  constructor(deps: SenderDeps) {
    this.deps = deps;
    this.endpoints = new Endpoints(deps.redis, deps.prefix);
    this.log = new DeliveryLog(deps.redis, deps.prefix);
    this.keys = new WebhookKeys(deps.prefix);
    // Failures further apart than the longest retry delay (and a timeout) are separate streaks.
    const { retry, timeoutMs } = deps.options;
    this.streakGapMs = Math.max(...retry.schedule) * retry.scale * (1 + retry.jitter) + timeoutMs;
  }

  /** One attempt. `attempt` is 1-based; after attempt schedule.length + 1 the message gives up. */
  async deliver(data: WebhookJobData, attempt: number, jobId: string): Promise<DeliveryResult> {
    const { store, options, logger } = this.deps;
    const record = await store.get(data.tenant, data.videoId);
    // Deleted since: nothing to tell any more, and no URL to tell it to.
    if (!record?.webhookUrl) return { kind: 'done', outcome: 'skipped' };
    const url = record.webhookUrl;
    const origin = endpointOf(url);
    const final = attempt > options.retry.schedule.length;
    const log = logger.child({ tenant: data.tenant, videoId: data.videoId, messageId: data.messageId });
    await this.endpoints.unpark(origin, jobId);

    const health = await this.endpoints.state(origin);
    if (health.disabledAt !== null) {
      await this.finish(data, record, attempt, {
        url,
        status: null,
        durationMs: 0,
        errorClass: 'endpoint_disabled',
        response: `endpoint ${origin} was disabled at ${new Date(health.disabledAt).toISOString()} after failing since ${health.failingSince ? new Date(health.failingSince).toISOString() : 'unknown'}`,
        outcome: 'failed',
      });
      return { kind: 'done', outcome: 'failed' };
    }

    // Everything but the POST happens before taking a slot: a slot is held for the request alone.
    const request = await this.prepare(record, data);
    const holder = `${data.messageId}:${randomUUID()}`;
    // The lease outlives the request's timeout, so a slot is only ever reclaimed from a dead worker.
    if (
      !(await this.endpoints.acquire(origin, holder, options.endpointConcurrency, options.timeoutMs + 5_000))
    ) {
      return { kind: 'busy', origin };
    }
    let sent: Posted;
    try {
      sent = await this.post(url, request.headers, request.body);
    } finally {
      await this.endpoints.release(origin, holder).catch(() => {});
      await this.wakeNext(origin).catch(() => {});
    }

    const { answer } = sent;
    if (answer && answer.status >= 200 && answer.status < 300) {
      await this.endpoints.succeeded(origin);
      await this.finish(data, record, attempt, {
        url,
        status: answer.status,
        durationMs: answer.durationMs,
        errorClass: null,
        response: answer.body,
        outcome: 'delivered',
      });
      // Only a message that gave up before can be in the recovery index, and it comes back only as a
      // resend or recovery: first deliveries skip the round trip.
      if (data.resend) await this.log.delivered(data);
      log.debug({ attempt, status: answer.status, durationMs: answer.durationMs }, 'webhook delivered');
      return { kind: 'done', outcome: 'delivered' };
    }

    // 410 Gone: the receiver says this endpoint is no more. Stop, and do not count it as the endpoint
    // failing (it answered, on purpose).
    if (answer?.status === 410) {
      await this.finish(data, record, attempt, {
        url,
        status: 410,
        durationMs: answer.durationMs,
        errorClass: 'gone',
        response: answer.body,
        outcome: 'gone',
      });
      log.info({ attempt }, 'webhook endpoint answered 410 Gone: not retrying');
      return { kind: 'done', outcome: 'gone' };
    }

    const health2 = await this.endpoints.failed(origin, options.disableAfterMs, this.streakGapMs);
    if (health2.newlyDisabled) await this.announceDisabled(origin, health2.failingSince, log);
    const retryAfter = answer ? parseRetryAfter(answer.headers['retry-after']) : null;
    const delayMs = retryDelay(options.retry, attempt, retryAfter);
    const givingUp = final || health2.disabled;
    await this.finish(data, record, attempt, {
      url,
      status: answer?.status ?? null,
      durationMs: sent.durationMs,
      errorClass: sent.errorClass,
      response: answer ? answer.body : sent.error,
      outcome: givingUp ? 'failed' : 'retrying',
      nextAttemptAt: givingUp ? null : Date.now() + delayMs,
    });
    log.info(
      { attempt, status: answer?.status, errorClass: sent.errorClass, retryInMs: givingUp ? null : delayMs },
      givingUp ? 'webhook gave up' : 'webhook attempt failed',
    );
    return givingUp ? { kind: 'done', outcome: 'failed' } : { kind: 'retry', delayMs };
  }

  /**
   * Parks a job the endpoint had no slot for (the worker has just moved it to the delayed set for a
   * safety delay). A slot freed between the refusal and now would wake nobody: then the job is told
   * to wake itself.
   */
  async park(origin: string, jobId: string): Promise<{ wakeNow: boolean }> {
    await this.endpoints.park(origin, jobId);
    return { wakeNow: await this.endpoints.hasRoom(origin, this.deps.options.endpointConcurrency) };
  }

  /** After a slot is released: wake the job that has waited longest for this endpoint. */
  private async wakeNext(origin: string): Promise<void> {
    // A popped id may be stale (its safety delay woke it already): try the next, a few at most.
    for (let i = 0; i < 5; i++) {
      const jobId = await this.endpoints.nextWaiting(origin);
      if (jobId === null || (await this.deps.wake(jobId))) return;
    }
  }

  private async prepare(record: VideoRecord, data: WebhookJobData) {
    const video = record.outputs.find((o) => o.variant === 'video');
    const downloadUrl =
      record.status === 'completed' && video ? await this.deps.presign(video.key).catch(() => null) : null;
    const body = buildPayload(record, data.event, data.occurredAt, downloadUrl);
    // Signed at send time: receivers reject timestamps more than 5 minutes off, and a retry may come
    // hours later. The id stays the message's own.
    const headers = signMessage(
      await this.deps.secrets.signing(data.tenant),
      data.messageId,
      new Date(),
      body,
    );
    return { headers, body };
  }

  private post(url: string, signed: Record<string, string>, body: string): Promise<Posted> {
    return post(this.deps.send, url, signed, body, this.deps.options.timeoutMs);
  }

  private async finish(
    data: WebhookJobData,
    record: VideoRecord,
    attempt: number,
    result: {
      url: string;
      status: number | null;
      durationMs: number;
      errorClass: ErrorClass | null;
      response: string;
      outcome: AttemptOutcome;
      nextAttemptAt?: number | null;
    },
  ): Promise<void> {
    await this.log.record(data.tenant, data.videoId, {
      message_id: data.messageId,
      event: data.event,
      attempt,
      resend: data.resend ?? false,
      at: Date.now(),
      url: result.url,
      status_code: result.status,
      duration_ms: Math.round(result.durationMs),
      error_class: result.errorClass,
      response: result.response.slice(0, RESPONSE_KEEP),
      outcome: result.outcome,
      next_attempt_at: result.nextAttemptAt ?? null,
    });
    this.deps.observer?.attempt({
      event: data.event,
      outcome: result.outcome,
      status: result.status,
      errorClass: result.errorClass,
      durationMs: result.durationMs,
    });
    if (result.outcome === 'failed') await this.log.gaveUp(data);
    // The video's own webhook summary follows its final event only: a progress message failing must
    // not make a delivered completion look failed.
    if (isTerminalEvent(data.event) && TERMINAL_STATUSES.has(record.status)) {
      await this.deps.store.patch(data.tenant, data.videoId, {
        webhookState: result.outcome === 'retrying' ? 'retrying' : result.outcome,
        webhookAttempts: record.webhookAttempts + 1,
      });
    }
  }

  private async announceDisabled(origin: string, failingSince: number, log: Logger): Promise<void> {
    log.warn({ endpoint: origin, failingSince }, 'webhook endpoint disabled: failing for too long');
    await this.deps.redis.xadd(
      this.keys.opsEvents(),
      'MAXLEN',
      '~',
      '10000',
      '*',
      'type',
      'webhook.endpoint.disabled',
      'endpoint',
      origin,
      'failingSince',
      String(failingSince),
    );
  }
}

export interface Posted {
  answer: HttpAnswer | null;
  errorClass: ErrorClass | null;
  error: string;
  durationMs: number;
}

/** One signed POST; never throws (a failure comes back classified). */
export async function post(
  send: HttpSend,
  url: string,
  signed: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<Posted> {
  const started = performance.now();
  try {
    const answer = await send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Reelay-Webhooks/1', ...signed },
      body,
      timeoutMs,
    });
    const errorClass: ErrorClass | null =
      answer.status >= 300 && answer.status < 400 ? 'redirect' : answer.status >= 300 ? 'http_status' : null;
    return { answer, errorClass, error: '', durationMs: answer.durationMs };
  } catch (error) {
    return {
      answer: null,
      errorClass: classify(error),
      error: (error as Error).message,
      durationMs: performance.now() - started,
    };
  }
}

function isTerminalEvent(event: WebhookEvent): boolean {
  return event === 'video.completed' || event === 'video.failed' || event === 'video.canceled';
}

const KINDS: ReadonlySet<string> = new Set([
  'blocked',
  'dns',
  'connect',
  'timeout',
  'tls',
  'reset',
  'protocol',
]);

function classify(error: unknown): ErrorClass {
  const kind = (error as { kind?: unknown }).kind;
  return typeof kind === 'string' && KINDS.has(kind) ? (kind as ErrorClass) : 'connect';
}
