import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { WebhookKeys } from './keys.ts';

export interface TenantSecret {
  /** Signs every message. */
  secret: string;
  /** During a rotation's grace period, the secret before it, which also signs. */
  previous: { secret: string; validUntil: number } | null;
}

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * One signing secret per tenant, created on first use. Rotation keeps the old one signing for a grace
 * period, so receivers can switch secrets without a window in which deliveries fail verification.
 * Stored in clear: signing needs the secret itself (it is never logged; see logger redaction).
 */
export class WebhookSecrets {
  private readonly redis: Redis;
  private readonly keys: WebhookKeys;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = new WebhookKeys(prefix);
  }

  async get(tenant: string, now = Date.now()): Promise<TenantSecret> {
    const key = this.keys.secret(tenant);
    let fields = await this.redis.hgetall(key);
    if (!fields.secret) {
      // Two first uses at once must agree on one secret: HSETNX keeps whichever came first.
      await this.redis.hsetnx(key, 'secret', newWebhookSecret());
      fields = await this.redis.hgetall(key);
    }
    const validUntil = Number(fields.previousUntil ?? 0);
    return {
      secret: fields.secret!,
      previous: fields.previous && validUntil > now ? { secret: fields.previous, validUntil } : null,
    };
  }

  /** The secrets every message is signed with now: the current one, and the previous during grace. */
  async signing(tenant: string, now = Date.now()): Promise<string[]> {
    const { secret, previous } = await this.get(tenant, now);
    return previous ? [secret, previous.secret] : [secret];
  }

  /** A new current secret; the old one keeps signing for `graceMs` (0: stops at once). */
  async rotate(tenant: string, graceMs: number, now = Date.now()): Promise<TenantSecret> {
    const { secret: old } = await this.get(tenant, now);
    const secret = newWebhookSecret();
    await this.redis.hset(this.keys.secret(tenant), {
      secret,
      previous: old,
      previousUntil: String(now + graceMs),
      rotatedAt: String(now),
    });
    return { secret, previous: graceMs > 0 ? { secret: old, validUntil: now + graceMs } : null };
  }
}
