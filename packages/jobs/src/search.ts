import type { VideoStatus } from '@reelay/contracts';
import { videoIdFloor } from './ids.ts';
import type { VideoRecord } from './record.ts';
import type { VideoStore } from './store.ts';

/** An ops search over video records; every filter given must match. */
export interface VideoSearch {
  /** Where to look: the tenant asked for, or every known tenant. */
  tenants: readonly string[];
  id?: string | undefined;
  /** Tenant-scoped: looked up in `tenants[0]` only. */
  idempotencyKey?: string | undefined;
  providerJobId?: string | undefined;
  /** Provider accounts whose claims are looked up for `providerJobId`. */
  accounts?: readonly string[] | undefined;
  status?: VideoStatus | undefined;
  /** Creation time bounds in unix ms (as encoded in the id): from inclusive, before exclusive. */
  createdFrom?: number | undefined;
  createdBefore?: number | undefined;
  limit: number;
  /** Last id of the previous page: this page starts below it. */
  after?: string | undefined;
}

export interface VideoSearchPage {
  /** Newest first. */
  records: VideoRecord[];
  /** Where the next page starts, or null when nothing more matches. */
  next: string | null;
}

/**
 * Records one search request reads at most before answering. A filter no index serves (status) is
 * applied to records read newest first; after this many the page is answered as it is, possibly short
 * or empty, with a cursor to go on from, so no request walks a whole large keyspace.
 */
export const SEARCH_SCAN_BUDGET = 1_000;

const newestFirst = (a: { id: string }, b: { id: string }) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Finds videos by id, idempotency key or provider job (lookups: one round trip each, whatever the
 * keyspace size), or by tenant, status and creation time (a merge of the tenants' id indexes, which
 * sort by creation time, newest first). Paginated by the last id returned.
 */
export async function searchVideos(store: VideoStore, query: VideoSearch): Promise<VideoSearchPage> {
  const from = query.createdFrom === undefined ? undefined : videoIdFloor(query.createdFrom);
  const until = query.createdBefore === undefined ? undefined : videoIdFloor(query.createdBefore);
  // The lower of the cursor and created_before (ids compare as strings).
  const before = [query.after, until].filter((bound) => bound !== undefined).sort()[0];
  const matches = (record: VideoRecord) =>
    (!query.status || record.status === query.status) &&
    (!from || record.id >= from) &&
    (!before || record.id < before);

  const ids = await lookupIds(store, query);
  if (ids) {
    const refs = ids.flatMap((id) => query.tenants.map((tenant) => ({ tenant, id })));
    const found = (await store.getMany(refs)).filter(matches).sort(newestFirst);
    return page(found, query.limit);
  }

  const found: VideoRecord[] = [];
  let below = before;
  let examined = 0;
  for (;;) {
    const wanted = query.limit + 1 - found.length;
    const chunk = query.status ? Math.min(Math.max(wanted, 100), SEARCH_SCAN_BUDGET - examined) : wanted;
    const candidates = await store.idsBelow(query.tenants, { before: below, from, limit: chunk });
    // Each tenant gave its newest `chunk`: the newest `chunk` of all of them are exactly the next ones.
    const refs = candidates.sort(newestFirst).slice(0, chunk);
    examined += refs.length;
    for (const record of await store.getMany(refs)) if (matches(record)) found.push(record);
    if (found.length > query.limit) return page(found, query.limit);
    // Fewer than `chunk` in all: every tenant's index is read to its end.
    if (candidates.length < chunk) return { records: found, next: null };
    below = refs.at(-1)!.id;
    if (examined >= SEARCH_SCAN_BUDGET) return { records: found, next: below };
  }
}

/** Ids the lookup filters point at (all of them must agree), or null when none was given. */
async function lookupIds(store: VideoStore, query: VideoSearch): Promise<string[] | null> {
  let ids: string[] | null = query.id ? [query.id] : null;
  const narrow = (found: Array<string | null>) => {
    const set = [...new Set(found.filter((id): id is string => id !== null))];
    ids = ids === null ? set : ids.filter((id) => set.includes(id));
  };
  if (query.idempotencyKey) {
    const tenant = query.tenants[0];
    narrow(tenant ? [await store.idByIdempotencyKey(tenant, query.idempotencyKey)] : []);
  }
  if (query.providerJobId) {
    const providerJobId = query.providerJobId;
    narrow(
      await Promise.all(
        (query.accounts ?? []).map((account) => store.idByProviderJob(account, providerJobId)),
      ),
    );
  }
  return ids;
}

/** One more than `limit` found means there is a next page, starting after the last one kept. */
function page(found: VideoRecord[], limit: number): VideoSearchPage {
  if (found.length > limit) return { records: found.slice(0, limit), next: found[limit - 1]!.id };
  return { records: found, next: null };
}
