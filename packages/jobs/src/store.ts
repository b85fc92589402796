import type { VideoStatus } from '@reelay/contracts';
import type { Redis } from 'ioredis';
import { Keys } from './keys.ts';
import { createFields, fromHash, toHash, type VideoRecord } from './record.ts';
import { keyHash } from './request-hash.ts';
import { type JobScripts, withScripts } from './scripts.ts';
import { DELETABLE, TRANSITIONS, type TransitionName } from './transitions.ts';

/** What the idempotency key stores: the request's fingerprint and the record as first created. */
export type CreateResult =
  | { created: true; record: VideoRecord }
  /** The key was used before: by the video with this id, for a request with this fingerprint. */
  | { created: false; videoId: string; requestHash: string };

/**
 * `"<fingerprint> <video id>"`; entries written before that format (kept for the key's TTL) are JSON
 * `{requestHash, record}`.
 */
function parseIdempotencyEntry(entry: string): { requestHash: string; videoId: string } {
  if (entry.startsWith('{')) {
    const old = JSON.parse(entry) as { requestHash?: string; record?: { id?: string } };
    return { requestHash: old.requestHash ?? '', videoId: old.record?.id ?? '' };
  }
  const [requestHash = '', videoId = ''] = entry.split(' ');
  return { requestHash, videoId };
}

export interface VideoEvent {
  id: string;
  /** The new status; absent for a change that keeps it (a cancel request). */
  status?: VideoStatus;
  progress: number;
  step: string;
  at: number;
}

export interface ListOptions {
  limit: number;
  order: 'asc' | 'desc';
  after?: string | undefined;
}

/**
 * Video records in Redis. Creation (with its idempotency key), transitions and deletion are Lua scripts,
 * so they are atomic across every api and worker process.
 */
export class VideoStore {
  readonly keys: Keys;
  private readonly redis: Redis & JobScripts;

  /**
   * @param idempotencyTtlMs how long an idempotency key is remembered. @defaultValue 24 h
   */
  private readonly idempotencyTtlMs: number;

  constructor(redis: Redis, prefix: string, idempotencyTtlMs = 24 * 3600 * 1000) {
    this.idempotencyTtlMs = idempotencyTtlMs;
    this.redis = withScripts(redis);
    this.keys = new Keys(prefix);
  }

  /**
   * Stores a new record; with an idempotency key, only the first request with that key creates one and
   * every later (or concurrent) one gets that first record back, with the fingerprint to compare.
   */
  async create(
    record: VideoRecord,
    idempotency?: { keyHash: string; requestHash: string },
  ): Promise<CreateResult> {
    const { tenant, id } = record;
    const [created, existing] = await this.redis.reelayCreate(
      this.keys.video(tenant, id),
      this.keys.videos(tenant),
      idempotency ? this.keys.idempotency(tenant, idempotency.keyHash) : '',
      id,
      // Just the fingerprint and the id: a replay reads the video itself (its current state), and the
      // entry stays ~100 bytes however large the request was.
      idempotency ? `${idempotency.requestHash} ${id}` : '',
      String(this.idempotencyTtlMs),
      ...createFields(record),
    );
    if (created === 1) return { created: true, record };
    return { created: false, ...parseIdempotencyEntry(existing) };
  }

  /** Undoes a create whose enqueue failed, so that a retry of the request starts clean. */
  async discard(record: VideoRecord, idempotencyKeyHash?: string): Promise<void> {
    const multi = this.redis.multi().del(this.keys.video(record.tenant, record.id));
    multi.zrem(this.keys.videos(record.tenant), record.id);
    if (idempotencyKeyHash) multi.del(this.keys.idempotency(record.tenant, idempotencyKeyHash));
    await multi.exec();
  }

  async get(tenant: string, id: string): Promise<VideoRecord | null> {
    return fromHash(await this.redis.hgetall(this.keys.video(tenant, id)));
  }

  /** The video an idempotency key created (while the key is remembered), or null. */
  async idByIdempotencyKey(tenant: string, idempotencyKey: string): Promise<string | null> {
    const entry = await this.redis.get(this.keys.idempotency(tenant, keyHash(idempotencyKey)));
    return entry ? parseIdempotencyEntry(entry).videoId || null : null;
  }

  /** The video that claimed a provider job (see `Keys.claim`), or null. */
  async idByProviderJob(account: string, providerJobId: string): Promise<string | null> {
    return this.redis.get(this.keys.claim(account, providerJobId));
  }

  /**
   * Up to `limit` of each tenant's video ids, newest first, below `before` (exclusive) and from `from`
   * (inclusive); both bounds are id strings, which sort by creation time. One pipelined round trip.
   */
  async idsBelow(
    tenants: readonly string[],
    range: { before?: string | undefined; from?: string | undefined; limit: number },
  ): Promise<Array<{ tenant: string; id: string }>> {
    const pipeline = this.redis.pipeline();
    for (const tenant of tenants) {
      pipeline.zrevrangebylex(
        this.keys.videos(tenant),
        range.before ? `(${range.before}` : '+',
        range.from ? `[${range.from}` : '-',
        'LIMIT',
        0,
        range.limit,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, ids], i) => {
      if (error) throw error;
      const tenant = tenants[i]!;
      return (ids as string[]).map((id) => ({ tenant, id }));
    });
  }

  /** Records by tenant and id, in the order asked; missing ones (deleted meanwhile) are left out. */
  async getMany(refs: ReadonlyArray<{ tenant: string; id: string }>): Promise<VideoRecord[]> {
    if (refs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { tenant, id } of refs) pipeline.hgetall(this.keys.video(tenant, id));
    return ((await pipeline.exec()) ?? [])
      .map(([, hash]) => fromHash((hash ?? {}) as Record<string, string>))
      .filter((r): r is VideoRecord => r !== null);
  }

  /**
   * Every tenant that has a video index, found by SCAN (O(keyspace)): only for a one-time backfill of
   * the tenant directory, never on a request path that runs often.
   */
  async scanTenants(): Promise<string[]> {
    const head = `${this.keys.prefix}:t:{`;
    const tail = '}:videos';
    const tenants = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${head}*${tail}`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) tenants.add(key.slice(head.length, -tail.length));
    } while (cursor !== '0');
    return [...tenants].sort();
  }

  /** A page of the tenant's videos by creation time, after the cursor id (exclusive). */
  async list(tenant: string, options: ListOptions): Promise<{ records: VideoRecord[]; hasMore: boolean }> {
    const index = this.keys.videos(tenant);
    const count = options.limit + 1;
    const ids =
      options.order === 'desc'
        ? await this.redis.zrevrangebylex(
            index,
            options.after ? `(${options.after}` : '+',
            '-',
            'LIMIT',
            0,
            count,
          )
        : await this.redis.zrangebylex(
            index,
            options.after ? `(${options.after}` : '-',
            '+',
            'LIMIT',
            0,
            count,
          );
    const page = ids.slice(0, options.limit);
    const pipeline = this.redis.pipeline();
    for (const id of page) pipeline.hgetall(this.keys.video(tenant, id));
    const results = (await pipeline.exec()) ?? [];
    const records = results
      .map(([, hash]) => fromHash(hash as Record<string, string>))
      .filter((r): r is VideoRecord => r !== null);
    return { records, hasMore: ids.length > options.limit };
  }

  /**
   * Applies a named transition (see transitions.ts) if the video's current status allows it, and
   * publishes the new status on the video's event channel. Returns whether it applied and the status
   * found before; with `read`, also the record as it is now (one more round trip, which the worker's
   * frequent progress transitions do not need).
   */
  async transition(
    tenant: string,
    id: string,
    name: TransitionName,
    patch: Partial<VideoRecord> = {},
    options: { read?: boolean } = {},
  ): Promise<{ applied: boolean; previous: VideoStatus | null; record: VideoRecord | null }> {
    const transition: { from: readonly string[]; to: VideoStatus | null; unlessSet?: string } =
      TRANSITIONS[name];
    const { from, to } = transition;
    const now = Date.now();
    const fields: Partial<VideoRecord> = { ...patch, ...(to ? { status: to } : {}), updatedAt: now };
    const [applied, previous] = await this.redis.reelayTransition(
      this.keys.video(tenant, id),
      this.keys.events(tenant, id),
      from.join(','),
      // Announced even without a status change (a cancel request): event streams re-read the video.
      JSON.stringify({ id, status: to ?? undefined, progress: patch.progress, step: patch.step, at: now }),
      transition.unlessSet ?? '',
      ...toHash(fields),
    );
    const record = options.read ? await this.get(tenant, id) : null;
    return { applied: applied === 1, previous: (previous || null) as VideoStatus | null, record };
  }

  /** Sets fields without a status change (step bookkeeping, webhook state); no event. */
  async patch(tenant: string, id: string, patch: Partial<VideoRecord>): Promise<void> {
    const key = this.keys.video(tenant, id);
    // HSET on a missing key would resurrect a deleted video as a stub: only touch existing records.
    await this.redis.eval(
      "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end",
      1,
      key,
      ...toHash({ ...patch, updatedAt: Date.now() }),
    );
  }

  /** Deletes a finished video's record. Returns the status found (null when there was no such video). */
  async delete(tenant: string, id: string): Promise<{ deleted: boolean; status: VideoStatus | null }> {
    const [deleted, status] = await this.redis.reelayDelete(
      this.keys.video(tenant, id),
      this.keys.videos(tenant),
      id,
      DELETABLE.join(','),
    );
    return { deleted: deleted === 1, status: (status || null) as VideoStatus | null };
  }
}
