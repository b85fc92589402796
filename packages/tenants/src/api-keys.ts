import { hash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { tenantsKey } from './directory.ts';

export type Scope = 'videos' | 'admin';

/** Tenant ids appear in Redis keys and S3 paths: a short, safe alphabet. */
export const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Who a request acts for. */
export interface Principal {
  keyId: string;
  tenant: string;
  scopes: Scope[];
}

export interface ApiKeyInfo extends Principal {
  name: string;
  createdAt: number;
}

const KEY_PREFIX = 'rl_';

/**
 * API keys, stored only as SHA-256 hashes (the keys are 192 random bits, so a fast hash is enough and a
 * leaked Redis dump reveals no usable key). Lookups are cached in-process for `cacheTtlMs`, which is
 * also how long a revoked key can still be used.
 */
export class ApiKeyStore {
  private readonly cache = new Map<string, { principal: Principal | null; expires: number }>();

  /** @param cacheTtlMs @defaultValue 10_000 */
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly cacheTtlMs: number;

  constructor(redis: Redis, prefix: string, cacheTtlMs = 10_000) {
    this.redis = redis;
    this.prefix = prefix;
    this.cacheTtlMs = cacheTtlMs;
  }

  private keyByHash(hash: string): string {
    return `${this.prefix}:apikey:${hash}`;
  }
  private keysById(): string {
    return `${this.prefix}:apikeys`;
  }

  /** Creates a key and returns it; this is the only time the key itself exists outside the caller. */
  async create(
    tenant: string,
    options: { name?: string; scopes?: Scope[] } = {},
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    if (!TENANT_ID.test(tenant)) throw new Error(`tenant must be 1-63 of a-z 0-9 _ - (got "${tenant}")`);
    const key = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
    const hash = sha256(key);
    const info: ApiKeyInfo = {
      keyId: `key_${hash.slice(0, 16)}`,
      tenant,
      scopes: options.scopes ?? ['videos'],
      name: options.name ?? '',
      createdAt: Date.now(),
    };
    await this.redis
      .multi()
      .hset(this.keyByHash(hash), { ...info, scopes: info.scopes.join(',') })
      .hset(this.keysById(), info.keyId, hash)
      // The tenant directory (searches across tenants) learns each tenant here, off the create path.
      .sadd(tenantsKey(this.prefix), tenant)
      .exec();
    return { key, info };
  }

  /** The principal a key stands for, or null for an unknown or revoked key. */
  async resolve(key: string): Promise<Principal | null> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 100) return null;
    const hash = sha256(key);
    const cached = this.cache.get(hash);
    const now = Date.now();
    if (cached && cached.expires > now) return cached.principal;
    const fields = await this.redis.hgetall(this.keyByHash(hash));
    const principal: Principal | null = fields.keyId
      ? {
          keyId: fields.keyId,
          tenant: fields.tenant ?? '',
          scopes: (fields.scopes ?? '').split(',') as Scope[],
        }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, expires: now + this.cacheTtlMs });
    return principal;
  }

  /**
   * The principal of a key known by its id (a browser session remembers the id, never the key), or null
   * once the key is revoked. Not cached: sessions end with their key at once.
   */
  async byId(keyId: string): Promise<Principal | null> {
    const hash = await this.redis.hget(this.keysById(), keyId);
    if (!hash) return null;
    const fields = await this.redis.hgetall(this.keyByHash(hash));
    if (!fields.keyId) return null;
    return {
      keyId: fields.keyId,
      tenant: fields.tenant ?? '',
      scopes: (fields.scopes ?? '').split(',') as Scope[],
    };
  }

  async list(tenant?: string): Promise<ApiKeyInfo[]> {
    const hashes = Object.values(await this.redis.hgetall(this.keysById()));
    const pipeline = this.redis.pipeline();
    for (const hash of hashes) pipeline.hgetall(this.keyByHash(hash));
    const rows = ((await pipeline.exec()) ?? []).map(([, fields]) => fields as Record<string, string>);
    return rows
      .filter((f) => f.keyId && (!tenant || f.tenant === tenant))
      .map((f) => ({
        keyId: f.keyId!,
        tenant: f.tenant!,
        scopes: f.scopes!.split(',') as Scope[],
        name: f.name ?? '',
        createdAt: Number(f.createdAt),
      }));
  }

  /** Returns whether a key with that id existed. */
  async revoke(keyId: string): Promise<boolean> {
    const hash = await this.redis.hget(this.keysById(), keyId);
    if (!hash) return false;
    await this.redis.multi().del(this.keyByHash(hash)).hdel(this.keysById(), keyId).exec();
    this.cache.delete(hash);
    return true;
  }
}

/** One-shot `hash`: this runs on every authenticated request (less than half createHash's cost). */
function sha256(value: string): string {
  return hash('sha256', value);
}
