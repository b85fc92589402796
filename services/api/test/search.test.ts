import { Keys, newRecord, newVideoId, type VideoRecord } from '@reelay/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, expectError, storeOf, type Video } from './fixtures.ts';
import { json, startTestApi, type TestApi } from './harness.ts';

interface SearchList {
  object: 'list';
  data: Video[];
  next_cursor: string | null;
}

let api: TestApi;
let admin: string;
const keys: Record<string, string> = {};
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.key('ops', ['admin']);
  for (const tenant of ['acme', 'globex']) keys[tenant] = await api.key(tenant);
});
afterAll(() => api?.close());

const create = async (tenant: string, prompt: string, headers: Record<string, string> = {}) => {
  const response = await api.call(keys[tenant]!, '/v1/videos', json({ prompt }, headers));
  expect(response.status).toBe(200);
  return bodyOf(response);
};

const search = async (query: Record<string, string | number>) => {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await api.call(admin, `/admin/videos?${params}`);
  const body = await bodyOf<SearchList>(response);
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(body.object).toBe('list');
  return body;
};
const idsOf = (list: SearchList) => list.data.map((video) => video.id);

/** Stores a record directly, created at `at` (unix ms): how the time-range tests get old videos. */
async function storeAt(tenant: string, at: number, patch: Partial<VideoRecord> = {}): Promise<string> {
  const record = newRecord({
    tenant,
    body: { prompt: 'stored', model: 'sora-2', seconds: '4', size: '720x1280', priority: 'normal' },
    inputReference: null,
    pricePerSecond: 0.1,
    idempotencyKey: null,
    id: newVideoId(at),
    now: at,
  });
  await storeOf(api).create({ ...record, ...patch });
  return record.id;
}

describe('GET /admin/videos', () => {
  it('finds a video by id alone, across tenants, as the video object', async () => {
    const video = await create('globex', 'found by id');
    const list = await search({ id: video.id });
    expect(list.data).toEqual([video]);
    expect(list.data[0]!.reelay.tenant).toBe('globex');
    expect(list.next_cursor).toBeNull();
    // With the wrong tenant, or an id nobody has: an empty list, not a 404.
    expect((await search({ id: video.id, tenant: 'acme' })).data).toEqual([]);
    expect(await search({ id: `video_${'0'.repeat(32)}` })).toEqual({
      object: 'list',
      data: [],
      next_cursor: null,
    });
  });

  it('finds a video by idempotency key within its tenant', async () => {
    const mine = await create('acme', 'idempotent', { 'idempotency-key': 'order-42' });
    const theirs = await create('globex', 'idempotent', { 'idempotency-key': 'order-42' });
    expect(idsOf(await search({ idempotency_key: 'order-42', tenant: 'acme' }))).toEqual([mine.id]);
    expect(idsOf(await search({ idempotency_key: 'order-42', tenant: 'globex' }))).toEqual([theirs.id]);
    expect(idsOf(await search({ idempotency_key: 'order-43', tenant: 'acme' }))).toEqual([]);
    // Both lookups must agree.
    expect(idsOf(await search({ idempotency_key: 'order-42', tenant: 'acme', id: theirs.id }))).toEqual([]);
  });

  it('finds a video by its provider job id, through the claim the worker makes', async () => {
    const video = await create('globex', 'at the provider');
    const store = storeOf(api);
    await store.transition('globex', video.id, 'start', {
      provider: 'sim',
      providerJobId: 'task_search_1',
      step: 'poll',
      attempts: 1,
    });
    await api.redis.redis.set(new Keys(api.redis.prefix).claim('sim', 'task_search_1'), video.id);
    const list = await search({ provider_job_id: 'task_search_1' });
    expect(idsOf(list)).toEqual([video.id]);
    expect(list.data[0]).toMatchObject({
      status: 'in_progress',
      reelay: { provider: 'sim', provider_job_id: 'task_search_1' },
    });
    expect(idsOf(await search({ provider_job_id: 'task_search_1', status: 'completed' }))).toEqual([]);
    expect(idsOf(await search({ provider_job_id: 'task_unknown' }))).toEqual([]);
  });

  it('lists a tenant, filters by status, newest first', async () => {
    const a = await create('acme', 'one');
    const b = await create('acme', 'two');
    await storeOf(api).transition('acme', a.id, 'cancelQueued', { step: 'done', completedAt: Date.now() });
    const acme = idsOf(await search({ tenant: 'acme', limit: 100 }));
    expect(acme.indexOf(b.id)).toBeLessThan(acme.indexOf(a.id));
    expect(acme).toEqual([...acme].sort().reverse());
    const canceled = await search({ tenant: 'acme', status: 'canceled' });
    expect(idsOf(canceled)).toEqual([a.id]);
    expect(canceled.data[0]!.status).toBe('canceled');
    const everywhere = await search({ status: 'queued', limit: 100 });
    expect(everywhere.data.every((video) => video.status === 'queued')).toBe(true);
    expect(new Set(everywhere.data.map((video) => video.reelay.tenant))).toEqual(new Set(['acme', 'globex']));
  });

  it('filters by creation time: created_after inclusive, created_before exclusive (unix seconds)', async () => {
    const t = Date.UTC(2021, 0, 1) / 1000;
    const early = await storeAt('acme', (t - 10) * 1000);
    const start = await storeAt('globex', t * 1000);
    const middle = await storeAt('acme', (t + 5) * 1000 + 999);
    const end = await storeAt('globex', (t + 10) * 1000);
    expect(idsOf(await search({ created_after: t, created_before: t + 10 }))).toEqual([middle, start]);
    expect(idsOf(await search({ created_after: t - 10, created_before: t + 11 }))).toEqual([
      end,
      middle,
      start,
      early,
    ]);
    expect(idsOf(await search({ created_before: t + 1, tenant: 'globex' }))).toEqual([start]);
    const recent = idsOf(await search({ created_after: t + 6, limit: 100 }));
    expect(recent).toContain(end);
    expect(recent).not.toContain(middle);
  });

  it('walks every page without duplicates or gaps', async () => {
    const created: string[] = [];
    for (let i = 0; i < 12; i++) created.push((await create(i % 2 ? 'acme' : 'globex', `page ${i}`)).id);
    const all = idsOf(await search({ limit: 100 }));
    expect(all).toEqual([...all].sort().reverse());
    for (const id of created) expect(all).toContain(id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: SearchList = await search({ limit: 5, ...(cursor ? { cursor } : {}) });
      expect(page.data.length).toBeLessThanOrEqual(5);
      seen.push(...idsOf(page));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(all.length / 5));
  });

  it('answers a short page with a cursor when a status filter reads its budget of records', async () => {
    const t = Date.UTC(2022, 0, 1);
    // The one completed video is older than 1,100 queued ones of the same tenant.
    const oldest = await storeAt('budget', t, { status: 'completed', step: 'done' });
    for (let batch = 0; batch < 11; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => storeAt('budget', t + 1 + batch * 100 + i)));
    }
    const first = await search({ tenant: 'budget', status: 'completed' });
    expect(first.data).toEqual([]);
    expect(first.next_cursor).not.toBeNull();
    const second = await search({ tenant: 'budget', status: 'completed', cursor: first.next_cursor! });
    expect(idsOf(second)).toEqual([oldest]);
    expect(second.next_cursor).toBeNull();
  });

  it('finds tenants that existed before the tenant directory (one backfill from Redis)', async () => {
    const prefix = api.redis.prefix;
    const legacy = await storeAt('legacy', Date.now());
    await api.redis.redis.del(`${prefix}:tenants`, `${prefix}:tenants:backfilled`);
    expect(idsOf(await search({ id: legacy }))).toEqual([legacy]);
    expect(await api.redis.redis.smembers(`${prefix}:tenants`)).toEqual(
      expect.arrayContaining(['legacy', 'acme', 'globex', 'ops']),
    );
  });

  it('requires the admin scope', async () => {
    await expectError(await api.call(keys.acme!, '/admin/videos'), 403);
    await expectError(await fetch(`${api.url}/admin/videos`), 401);
  });

  it.each([
    ['id=video_nope', 'id'],
    ['tenant=Acme', 'tenant'],
    ['status=done', 'status'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['created_after=yesterday', 'created_after'],
    ['created_before=-5', 'created_before'],
    ['created_after=100&created_before=100', 'created_before'],
    ['idempotency_key=order-42', 'tenant'],
    ['cursor=bm90LWEtdmlkZW8', 'cursor'],
    ['cursor=%20', 'cursor'],
    ['provider_job_id=', 'provider_job_id'],
    ['colour=red', 'colour'],
  ])('answers 400 naming the parameter for %s', async (query, param) => {
    await expectError(await api.call(admin, `/admin/videos?${query}`), 400, { param });
  });

  it('is in the OpenAPI document with its filters', async () => {
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
    };
    const names = doc.paths['/admin/videos']?.get?.parameters?.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'id',
        'tenant',
        'idempotency_key',
        'provider_job_id',
        'status',
        'created_after',
        'created_before',
        'limit',
        'cursor',
      ]),
    );
  });
});
