import type { Redis } from 'ioredis';

/** The set of every tenant id; filled where tenants come to be (API key creation). */
export function tenantsKey(prefix: string): string {
  return `${prefix}:tenants`;
}

/**
 * Every tenant, for searches across tenants (tenant data lives under per-tenant hash tags, so there is
 * no other way to enumerate it without a SCAN). `ApiKeyStore.create` adds to it; a Redis filled before
 * the set existed is backfilled once, on first use.
 */
export class TenantDirectory {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly backfilledKey: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.key = tenantsKey(prefix);
    this.backfilledKey = `${prefix}:tenants:backfilled`;
  }

  async add(...tenants: string[]): Promise<void> {
    if (tenants.length > 0) await this.redis.sadd(this.key, ...tenants);
  }

  /**
   * Every tenant, sorted. The first call on a Redis whose directory was never backfilled runs
   * `discover` (e.g. a SCAN of the video indexes and the key list) and records its result, once.
   */
  async list(discover: () => Promise<string[]>): Promise<string[]> {
    if (!(await this.redis.exists(this.backfilledKey))) {
      await this.add(...(await discover()));
      await this.redis.set(this.backfilledKey, String(Date.now()));
    }
    return (await this.redis.smembers(this.key)).sort();
  }
}
