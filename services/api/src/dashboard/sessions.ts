import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A session id: 256 random bits, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Browser sessions of the ops dashboard: a random id in an httpOnly cookie, mapped in Redis to the id of
 * the admin API key that logged in (never the key itself). Every api process sees every session, and a
 * session ends at its TTL, on logout, or as soon as its key is revoked (checked on every request).
 */
export class AdminSessions {
  private readonly redis: Redis;
  private readonly prefix: string;
  /** @defaultValue 12 h: a working day, after which the operator logs in again. */
  readonly ttlMs: number;

  constructor(redis: Redis, prefix: string, ttlMs = 12 * 3600 * 1000) {
    this.redis = redis;
    this.prefix = prefix;
    this.ttlMs = ttlMs;
  }

  private key(id: string): string {
    return `${this.prefix}:admin:session:${id}`;
  }

  /** Opens a session for an admin key; returns its id (the cookie value). */
  async create(keyId: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(id), keyId, 'PX', this.ttlMs);
    return id;
  }

  /** The key id behind a live session, or null (unknown, expired, logged out or malformed). */
  async keyId(id: string): Promise<string | null> {
    if (!SESSION_ID.test(id)) return null;
    return this.redis.get(this.key(id));
  }

  async destroy(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.redis.del(this.key(id));
  }
}
