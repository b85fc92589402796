import type { WebhookEvent } from '@reelay/contracts';
import type { Redis } from 'ioredis';
import { WebhookKeys } from './keys.ts';
import type { WebhookJobData } from './queue.ts';

/** Why an attempt did not deliver. `http_status`: the endpoint answered, but not 2xx. */
export type ErrorClass =
  | 'http_status'
  | 'redirect'
  | 'timeout'
  | 'connect'
  | 'dns'
  | 'tls'
  | 'reset'
  | 'protocol'
  | 'blocked'
  | 'endpoint_disabled'
  | 'gone';

export type AttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'gone' | 'skipped';

/** One line of a video's delivery log (snake_case: it is served as is by the api). */
export interface DeliveryAttempt {
  message_id: string;
  event: WebhookEvent | 'webhook.test';
  /** 1 for the first try of this delivery (a resend starts again at 1). */
  attempt: number;
  resend: boolean;
  /** Unix ms. */
  at: number;
  url: string;
  status_code: number | null;
  duration_ms: number;
  error_class: ErrorClass | null;
  /** The start of the endpoint's answer (or the error), for debugging the receiver. */
  response: string;
  outcome: AttemptOutcome;
  /** Unix ms of the next try when retrying. */
  next_attempt_at: number | null;
}

/** Per video, this many attempts are kept (newest first). */
const KEEP = 200;
/** Delivery logs outlive nothing: they go with the video, or after this long without a new attempt. */
const LOG_TTL_S = 30 * 24 * 3600;

/** The delivery log per video, and the tenant's index of messages that gave up (for recovery). */
export class DeliveryLog {
  private readonly redis: Redis;
  private readonly keys: WebhookKeys;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = new WebhookKeys(prefix);
  }

  async record(tenant: string, videoId: string, attempt: DeliveryAttempt): Promise<void> {
    const key = this.keys.deliveries(tenant, videoId);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(attempt))
      .ltrim(key, 0, KEEP - 1)
      .expire(key, LOG_TTL_S)
      .exec();
  }

  async list(tenant: string, videoId: string, limit = KEEP): Promise<DeliveryAttempt[]> {
    const rows = await this.redis.lrange(this.keys.deliveries(tenant, videoId), 0, limit - 1);
    return rows.map((row) => JSON.parse(row) as DeliveryAttempt);
  }

  async forget(tenant: string, videoId: string): Promise<void> {
    await this.redis.del(this.keys.deliveries(tenant, videoId));
  }

  /** A message ran out of attempts (or met a disabled endpoint): kept for `recover`. */
  async gaveUp(data: WebhookJobData, at = Date.now()): Promise<void> {
    await this.redis.zadd(this.keys.failed(data.tenant), at, failedMember(data));
  }

  async delivered(data: WebhookJobData): Promise<void> {
    await this.redis.zrem(this.keys.failed(data.tenant), failedMember(data));
  }

  /** Messages that gave up between `since` and `until` (unix ms), oldest first. */
  async failedBetween(
    tenant: string,
    since: number,
    until: number,
    limit: number,
  ): Promise<WebhookJobData[]> {
    const members = await this.redis.zrangebyscore(this.keys.failed(tenant), since, until, 'LIMIT', 0, limit);
    return members.map((member) => JSON.parse(member) as WebhookJobData);
  }

  /** Out of the index once sent again (a new failure puts it back). */
  async forgetFailed(data: WebhookJobData): Promise<void> {
    await this.redis.zrem(this.keys.failed(data.tenant), failedMember(data));
  }
}

/** The same message always makes the same member (fixed field order, no resend flag). */
function failedMember(data: WebhookJobData): string {
  const { tenant, videoId, event, messageId, occurredAt } = data;
  return JSON.stringify({ tenant, videoId, event, messageId, occurredAt });
}
