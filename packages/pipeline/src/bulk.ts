import type { PollResult, ProviderAdapter, ProviderHandle } from '@reelay/providers';
import type { Redis } from 'ioredis';

/**
 * Status of many in-flight jobs through one list request instead of one retrieve each. A snapshot of
 * the account's recent jobs is kept in Redis for `maxAgeMs` and shared by every worker; one worker at
 * a time refreshes it (a lock with the same lifetime). A job missing from the snapshot (older than the
 * list's first page, or created after it) is polled on its own.
 *
 * Only worth it with several jobs in flight on the account: below `minInFlight` every poll is a plain
 * retrieve (a list costs the same request and returns more bytes).
 */
export interface BulkOptions {
  /** How stale a snapshot may be: this adds up to this much to completion detection. @defaultValue 250 */
  maxAgeMs: number;
  /** Jobs in flight on the account before bulk status is used. @defaultValue 4 */
  minInFlight: number;
}

export const DEFAULT_BULK_OPTIONS: BulkOptions = { maxAgeMs: 1_000, minInFlight: 4 };

type Snapshot = Record<string, PollResult>;

export class BulkStatus {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly options: BulkOptions;

  constructor(redis: Redis, prefix: string, options: Partial<BulkOptions> = {}) {
    this.redis = redis;
    this.prefix = prefix;
    this.options = { ...DEFAULT_BULK_OPTIONS, ...options };
  }

  private key(account: string, what: 'snapshot' | 'lock'): string {
    return `${this.prefix}:bulk:{${account}}:${what}`;
  }

  /**
   * The job's status from a fresh snapshot, or from a snapshot this call refreshes (spending one
   * request: `spend` is called first so the rate budget sees it); `{ waitMs }` when another worker is
   * refreshing it right now (look again then, rather than spend a request of one's own); null when the
   * caller should poll the job by itself.
   */
  async status(
    account: string,
    adapter: ProviderAdapter,
    handle: ProviderHandle,
    inFlight: number,
    spend: () => Promise<boolean>,
  ): Promise<PollResult | { waitMs: number } | null> {
    if (!adapter.supports.list || inFlight < this.options.minInFlight) return null;
    const cached = await this.redis.get(this.key(account, 'snapshot'));
    if (cached) return (JSON.parse(cached) as Snapshot)[handle.id] ?? null;
    const locked = await this.redis.set(this.key(account, 'lock'), '1', 'PX', this.options.maxAgeMs, 'NX');
    if (locked !== 'OK') return { waitMs: Math.max(1, Math.round(this.options.maxAgeMs / 2)) };
    if (!(await spend())) return null;
    const { jobs } = await adapter.list({ limit: 100 });
    const snapshot: Snapshot = {};
    for (const job of jobs) {
      const { handle: listed, createdAt: _c, model: _m, prompt: _p, size: _s, seconds: _d, ...poll } = job;
      snapshot[listed.id] = poll;
    }
    await this.redis.set(
      this.key(account, 'snapshot'),
      JSON.stringify(snapshot),
      'PX',
      this.options.maxAgeMs,
    );
    return snapshot[handle.id] ?? null;
  }
}
