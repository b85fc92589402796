import { describe, expect, it } from 'vitest';
import { client, finishedJob, pollToEnd, sleep, useSimulator, type WireBody } from './helpers.ts';

// A job's life on the openai wire: queued -> in_progress (rising progress) -> completed or failed; list
// with a cursor; delete rules; remix; moderation; and that one key never sees another key's jobs.

const sim = await useSimulator({ SIM_CONCURRENCY: 100 });
const api = client(sim, 'key-life');

describe('lifecycle', () => {
  it('goes queued -> in_progress -> completed with rising progress and a polling hint', async () => {
    const created = await api.create({ prompt: 'a slow one #sim(queue_ms=1000,render_ms=800)' });
    expect(created.body.status).toBe('queued');
    const seen = await pollToEnd(api, created.body.id, 15);
    const statuses = seen.map((v) => v.status);
    expect(statuses).toContain('queued');
    expect(statuses).toContain('in_progress');
    expect(statuses.at(-1)).toBe('completed');
    // The order never goes back.
    const rank = { queued: 0, in_progress: 1, completed: 2 } as Record<string, number>;
    const ranks = statuses.map((s) => rank[s]!);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));

    const progress = seen.map((v) => v.progress as number);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const during = seen.filter((v) => v.status === 'in_progress').map((v) => v.progress);
    expect(new Set(during).size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...during.map(Number))).toBeLessThan(100);
    for (const v of seen.filter((v) => v.status !== 'completed')) {
      expect(v).toMatchObject({ completed_at: null, expires_at: null });
    }

    const done = seen.at(-1)!;
    expect(done.progress).toBe(100);
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.expires_at).toBe(done.completed_at + 3600);

    const again = await api.retrieve(created.body.id);
    expect(again.headers.get('openai-poll-after-ms')).toBeNull();
  });

  it('derives realistic simulated durations (sora-2, 4 s, 720p renders in 40-62 s)', async () => {
    const created = await api.create({ prompt: 'timing' });
    const stats = await sim.stats({ hash: false });
    const job = stats.jobs.find((j) => j.id === created.body.id)!;
    expect(job.renderMs).toBeGreaterThanOrEqual(40_000);
    expect(job.renderMs).toBeLessThanOrEqual(62_500);
    expect(job.realRenderMs).toBeCloseTo(job.renderMs * 0.002, -1);
    expect(job.queueMs).toBeGreaterThan(0);
  });

  it('lists per key, newest first, with a cursor', async () => {
    const own = client(sim, 'key-list');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await own.create({ prompt: `list ${i}` })).body.id);
    const newestFirst = [...ids].reverse();

    const first = await own.list('?limit=2');
    expect(first.body).toMatchObject({ object: 'list', has_more: true });
    expect(first.body.data.map((v) => v.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.body.first_id).toBe(newestFirst[0]);
    expect(first.body.last_id).toBe(newestFirst[1]);

    const second = await own.list(`?limit=2&after=${first.body.last_id}`);
    expect(second.body.data.map((v) => v.id)).toEqual(newestFirst.slice(2, 4));
    expect(second.body.has_more).toBe(true);
    const third = await own.list(`?limit=2&after=${second.body.last_id}`);
    expect(third.body.data.map((v) => v.id)).toEqual(newestFirst.slice(4));
    expect(third.body.has_more).toBe(false);

    const ascending = await own.list('?order=asc&limit=100');
    expect(ascending.body.data.map((v) => v.id)).toEqual(ids);
    const byDefault = await own.list();
    expect(byDefault.body.data).toHaveLength(5);

    const empty = await client(sim, 'key-list-empty').list();
    expect(empty.body).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=ten', 'limit'],
    ['?order=sideways', 'order'],
    ['?after=video_nope', 'after'],
  ])('rejects list query %s naming %s', async (query, param) => {
    const answer = await api.list(query);
    expect(answer.status).toBe(400);
    expect(answer.body.error.param).toBe(param);
  });

  it('deletes only completed or failed videos', async () => {
    const running = await api.create({ prompt: 'still going #sim(queue_ms=0,render_ms=60000)' });
    const refused = await api.remove(running.body.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('video_not_finished');

    const done = await finishedJob(api, { prompt: 'done' });
    const deleted = await api.remove(done.id);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: done.id, object: 'video.deleted', deleted: true });
    expect((await api.retrieve(done.id)).status).toBe(404);
    expect((await api.remove(done.id)).status).toBe(404);
    expect((await api.list('?limit=100')).body.data.map((v) => v.id)).not.toContain(done.id);

    const failed = await finishedJob(api, { prompt: 'doomed #sim(fail=error)' });
    expect(failed.status).toBe('failed');
    expect((await api.remove(failed.id)).status).toBe(200);
  });

  it('keeps a cursor on a deleted video working', async () => {
    const own = client(sim, 'key-cursor');
    const a = await finishedJob(own, { prompt: 'a' });
    const b = await finishedJob(own, { prompt: 'b' });
    const c = await finishedJob(own, { prompt: 'c' });
    await own.remove(b.id);
    const page = await own.list(`?after=${b.id}`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((v) => v.id)).toEqual([a.id]);
    expect((await own.list()).body.data.map((v) => v.id)).toEqual([c.id, a.id]);
  });

  it('isolates keys: another key gets 404 everywhere', async () => {
    const mine = await finishedJob(api, { prompt: 'mine' });
    const other = client(sim, 'key-intruder');
    expect((await other.retrieve(mine.id)).status).toBe(404);
    expect((await other.remove(mine.id)).status).toBe(404);
    expect((await other.remix(mine.id, 'steal')).status).toBe(404);
    expect((await other.content(mine.id)).status).toBe(404);
    expect((await other.list()).body.data).toEqual([]);
    const missing = await other.retrieve(mine.id);
    expect(missing.body.error).toMatchObject({ code: 'video_not_found', type: 'invalid_request_error' });
    expect((await api.retrieve(mine.id)).status).toBe(200);
  });

  it('remixes a completed video into a new job, and refuses an unfinished one', async () => {
    const source = await finishedJob(api, { prompt: 'original', size: '1280x720', seconds: '8' });
    const remix = await api.remix(source.id, 'now in the rain');
    expect(remix.status).toBe(200);
    expect(remix.body).toMatchObject({
      remixed_from_video_id: source.id,
      prompt: 'now in the rain',
      size: '1280x720',
      seconds: '8',
      model: 'sora-2',
      status: 'queued',
    });
    expect(remix.body.id).not.toBe(source.id);

    const running = await api.create({ prompt: 'busy #sim(render_ms=60000)' });
    const refused = await api.remix(running.body.id, 'x');
    expect(refused.status).toBe(409);
    const missingPrompt = await api.call('POST', `/videos/${source.id}/remix`, {
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(missingPrompt.status).toBe(400);
    expect(missingPrompt.body.error.param).toBe('prompt');
  });

  it('serves no content before completion', async () => {
    const running = await api.create({ prompt: 'not yet #sim(render_ms=60000)' });
    const early = await api.content(running.body.id);
    expect(early.status).toBe(409);
    expect(early.headers.get('content-type')).toContain('application/json');
    expect(((await early.json()) as WireBody).error.code).toBe('video_not_ready');
  });
});

describe('failures', () => {
  it('fails a prompt with the moderation marker partway, with moderation_blocked', async () => {
    const created = await api.create({ prompt: 'something [BLOCKED] here #sim(queue_ms=0,render_ms=1000)' });
    const seen = await pollToEnd(api, created.body.id, 10);
    const last = seen.at(-1)!;
    expect(last.status).toBe('failed');
    expect(last.error).toMatchObject({ code: 'moderation_blocked', message: expect.any(String) });
    expect(last.progress).toBeLessThan(100);
    expect(last.completed_at).toBeNull();
    expect(seen.some((v) => v.status === 'in_progress')).toBe(true);

    const content = await api.content(created.body.id);
    expect(content.status).toBe(409);
    expect(((await content.json()) as WireBody).error.code).toBe('video_failed');
  });

  it('uses a custom moderation marker', async () => {
    const custom = await useSimulator({ SIM_MODERATION_MARKER: 'forbidden-word' });
    const c = client(custom, 'k');
    expect((await finishedJob(c, { prompt: 'a forbidden-word' })).error.code).toBe('moderation_blocked');
    expect((await finishedJob(c, { prompt: 'harmless [blocked]' })).status).toBe('completed');
  });

  it.each([
    ['error', 'internal_error'],
    ['moderation', 'moderation_blocked'],
    ['quota_exceeded', 'quota_exceeded'],
  ])('#sim(fail=%s) fails with %s', async (fail, code) => {
    const job = await finishedJob(api, { prompt: `#sim(fail=${fail},fail_at=0.5)` });
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe(code);
  });

  it('expires content after SIM_CONTENT_TTL_S', async () => {
    const short = await useSimulator({ SIM_CONTENT_TTL_S: 1 });
    const c = client(short, 'k');
    const job = await finishedJob(c, { prompt: 'ephemeral' });
    expect(job.expires_at).toBe(job.completed_at + 1);
    expect((await c.content(job.id)).status).toBe(200);
    await sleep(1200);
    const gone = await c.content(job.id);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as WireBody).error.code).toBe('video_expired');
  });
});
