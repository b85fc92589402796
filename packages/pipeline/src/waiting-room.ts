import type { Priority } from '@reelay/contracts';
import type { Redis } from 'ioredis';

/**
 * Where jobs wait for a provider slot, so that slots are shared fairly between tenants: one tenant's
 * 10,000 queued jobs must not starve another's 5. A pool is the set of accounts a job may use.
 *
 * Per pool: one sorted set per tenant (its waiting videos, by priority then age) and one sorted set of
 * tenants by when they were last served. A freed slot goes to the least recently served tenant's best
 * job: round-robin between tenants, priority and FIFO within a tenant.
 */

/**
 * Adds a video to its tenant's line (keeping its place if already there) and the tenant to the pool.
 * KEYS[1] the tenant's line, KEYS[2] the pool's tenants, KEYS[3] the set of pools
 * ARGV[1] video id, ARGV[2] its score (priority class, then creation time), ARGV[3] tenant, ARGV[4] pool
 */
const JOIN = `
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], 'NX', 0, ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
return 1
`;

/**
 * Pops the next waiter: the best video of the least recently served tenant, and marks that tenant served.
 * KEYS[1] the pool's tenants; ARGV[1] the key prefix of tenant lines (line = prefix .. tenant)
 * Returns {tenant, video id, video score, tenant's previous served score} or nil.
 */
const NEXT = `
while true do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 then return nil end
  local tenant = first[1]
  local line = ARGV[1] .. tenant
  local best = redis.call('ZPOPMIN', line)
  if #best == 0 then
    redis.call('ZREM', KEYS[1], tenant)
  else
    local now = redis.call('TIME')
    redis.call('ZADD', KEYS[1], now[1] * 1000 + math.floor(now[2] / 1000), tenant)
    if redis.call('ZCARD', line) == 0 then redis.call('ZREM', KEYS[1], tenant) end
    return {tenant, best[1], best[2], first[2]}
  end
end
`;

/** Priority classes: a high-priority job is ahead of every normal one of the same tenant. */
const CLASS: Record<Priority, number> = { high: 0, normal: 1, low: 2 };
const CLASS_SPAN = 1e13;

export interface Waiter {
  pool: string;
  tenant: string;
  videoId: string;
  score: number;
  /** The tenant's turn before this pop, restored if the waiter is put back. */
  tenantScore: number;
}

type Scripted = Redis & {
  reelayWaitJoin(k1: string, k2: string, k3: string, ...argv: string[]): Promise<number>;
  reelayWaitNext(k1: string, ...argv: string[]): Promise<[string, string, string, string] | null>;
};

export class WaitingRoom {
  private readonly redis: Scripted;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis as Scripted;
    this.prefix = `${prefix}:wait`;
    if (typeof this.redis.reelayWaitJoin !== 'function') {
      redis.defineCommand('reelayWaitJoin', { numberOfKeys: 3, lua: JOIN });
      redis.defineCommand('reelayWaitNext', { numberOfKeys: 1, lua: NEXT });
    }
  }

  static pool(accounts: readonly string[]): string {
    return [...accounts].sort().join(',');
  }

  // One hash tag per pool: each script touches a single Redis Cluster slot.
  private tenants(pool: string): string {
    return `${this.prefix}:{${pool}}:tenants`;
  }
  private linePrefix(pool: string): string {
    return `${this.prefix}:{${pool}}:line:`;
  }
  private pools(): string {
    return `${this.prefix}:pools`;
  }

  async join(
    pool: string,
    tenant: string,
    videoId: string,
    priority: Priority,
    createdAt: number,
  ): Promise<void> {
    const score = CLASS[priority] * CLASS_SPAN + createdAt;
    await this.redis.reelayWaitJoin(
      `${this.linePrefix(pool)}${tenant}`,
      this.tenants(pool),
      this.pools(),
      videoId,
      String(score),
      tenant,
      pool,
    );
  }

  async next(pool: string): Promise<Waiter | null> {
    const popped = await this.redis.reelayWaitNext(this.tenants(pool), this.linePrefix(pool));
    if (!popped) return null;
    const [tenant, videoId, score, tenantScore] = popped;
    return { pool, tenant, videoId, score: Number(score), tenantScore: Number(tenantScore) };
  }

  /**
   * Puts a popped waiter back in its place, and its tenant back at its turn: a pop whose slot could not
   * be taken after all is no service, and must not send the tenant to the back of the round.
   */
  async putBack(waiter: Waiter): Promise<void> {
    await this.redis
      .multi()
      .zadd(`${this.linePrefix(waiter.pool)}${waiter.tenant}`, 'NX', String(waiter.score), waiter.videoId)
      .zadd(this.tenants(waiter.pool), String(waiter.tenantScore), waiter.tenant)
      .exec();
  }

  /** Removes a video that got a slot by itself, or no longer needs one. */
  async leave(pool: string, tenant: string, videoId: string): Promise<void> {
    await this.redis.zrem(`${this.linePrefix(pool)}${tenant}`, videoId);
  }

  /** The pools a slot on `account` can serve. */
  async poolsWith(account: string): Promise<string[]> {
    const pools = await this.redis.smembers(this.pools());
    return pools.filter((pool) => pool.split(',').includes(account));
  }

  /** Videos waiting in a pool, all tenants (for metrics and tests). */
  async size(pool: string): Promise<number> {
    const tenants = await this.redis.zrange(this.tenants(pool), '0', '-1');
    if (tenants.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const tenant of tenants) pipeline.zcard(`${this.linePrefix(pool)}${tenant}`);
    return ((await pipeline.exec()) ?? []).reduce((sum, [, n]) => sum + Number(n), 0);
  }
}
