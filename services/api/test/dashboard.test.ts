import { createRenderQueue, RENDER_QUEUE } from '@reelay/jobs';
import { createRedis } from '@reelay/redis';
import { ApiKeyStore } from '@reelay/tenants';
import { waitFor } from '@reelay/testkit';
import { WEBHOOK_QUEUE } from '@reelay/webhooks';
import { type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './fixtures.ts';
import { startTestApi, type TestApi } from './harness.ts';

const PROMPT = 'A calico cat playing a piano at midnight';
const board = (path = '') => `/admin/queues${path}`;
const jobApi = (queue: string, suffix: string) => board(`/api/queues/${encodeURIComponent(queue)}/${suffix}`);

interface BoardJob {
  id: string;
  data: Record<string, unknown>;
  returnValue: unknown;
}

/** Logs in through the form as a browser does; returns the answer (cookie not followed). */
const login = (api: TestApi, key: string) =>
  fetch(`${api.url}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key }).toString(),
    redirect: 'manual',
  });

const sessionCookie = (response: Response) => response.headers.get('set-cookie')?.split(';')[0] ?? '';

describe('the queue dashboard (read-only, the default)', () => {
  let api: TestApi;
  let admin: string;
  let videos: string;
  beforeAll(async () => {
    api = await startTestApi({ API_KEY_CACHE_MS: '0' });
    admin = await api.key('ops', ['admin']);
    videos = await api.key('acme', ['videos']);
  });
  afterAll(() => api?.close());

  it('refuses anonymous requests: scripts get a 401 in the API error shape, browsers the login page', async () => {
    for (const path of [board(), board('/api/queues')]) {
      await expectError(await fetch(`${api.url}${path}`), 401, { code: 'unauthorized' });
    }
    const browser = await fetch(`${api.url}${board()}`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
      redirect: 'manual',
    });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/admin/login');
    await expectError(
      await fetch(`${api.url}${board()}`, {
        headers: { authorization: 'Bearer rl_neverIssued000000000000' },
      }),
      401,
    );
  });

  it('answers 403 to a key without the admin scope and shows both queues to an admin bearer', async () => {
    await expectError(await api.call(videos, board()), 403, { code: 'forbidden' });
    const page = await api.call(admin, board());
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>Reelay queues</title>');
    // Bull Board's template loads its typeface from Google Fonts: taken out, and the CSP keeps it so.
    expect(html).not.toContain('fonts.googleapis.com');
    expect(html).toContain('static/css/');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);

    const listing = await api.call(admin, board('/api/queues'));
    expect(listing.status).toBe(200);
    const { queues } = (await listing.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(queues.map((q) => q.name)).toEqual([RENDER_QUEUE, WEBHOOK_QUEUE]);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  it('logs a browser in with an admin key: bad key 401, non-admin key 403, good key a session cookie', async () => {
    const bad = await login(api, 'rl_neverIssued000000000000');
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('That is not a valid API key.');
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect((await login(api, videos)).status).toBe(403);

    const form = await fetch(`${api.url}/admin/login`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="key"');

    const good = await login(api, admin);
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toBe('/admin/queues');
    const setCookie = good.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^reelay_admin=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/admin');
    expect(setCookie).toContain('Max-Age=43200');
    const cookie = sessionCookie(good);
    const id = cookie.split('=')[1]!;
    expect(await api.redis.redis.pttl(`${api.redis.prefix}:admin:session:${id}`)).toBeGreaterThan(
      11 * 3600 * 1000,
    );

    const page = await fetch(`${api.url}${board()}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect((await fetch(`${api.url}${board('/api/queues')}`, { headers: { cookie } })).status).toBe(200);
    expect(await (await fetch(`${api.url}/admin/login`, { headers: { cookie } })).text()).toContain(
      'You are signed in.',
    );
    // The session opens the board only: the admin JSON API still wants the key itself.
    expect((await fetch(`${api.url}/admin/keys`, { headers: { cookie } })).status).toBe(401);
  });

  it('ends the session on logout, and when its key is revoked', async () => {
    const cookie = sessionCookie(await login(api, admin));
    const out = await fetch(`${api.url}/admin/logout`, {
      method: 'POST',
      headers: { cookie },
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/admin/login');
    expect(out.headers.get('set-cookie')).toMatch(/^reelay_admin=;/);
    await expectError(await fetch(`${api.url}${board()}`, { headers: { cookie } }), 401);
    const id = cookie.split('=')[1]!;
    expect(await api.redis.redis.exists(`${api.redis.prefix}:admin:session:${id}`)).toBe(0);

    const keys = new ApiKeyStore(api.redis.redis, api.redis.prefix, 0);
    const { key, info } = await keys.create('ops', { scopes: ['admin'] });
    const second = sessionCookie(await login(api, key));
    expect((await fetch(`${api.url}${board()}`, { headers: { cookie: second } })).status).toBe(200);
    await keys.revoke(info.keyId);
    await expectError(await fetch(`${api.url}${board()}`, { headers: { cookie: second } }), 401);
  });

  it('shows job data with prompts and secrets redacted, and refuses actions (Bull Board: 405)', async () => {
    const queue = createRenderQueue(api.redis.redis, api.redis.prefix);
    try {
      const job = await queue.add(
        'render',
        { tenant: 'acme', videoId: 'video_1', prompt: PROMPT, webhook: { secret: 'whsec_abc', url: 'u' } },
        { delay: 3_600_000 },
      );
      const answer = await api.call(admin, jobApi(RENDER_QUEUE, job.id!));
      expect(answer.status).toBe(200);
      const text = await answer.text();
      expect(text).not.toContain(PROMPT);
      expect(text).not.toContain('whsec_abc');
      const shown = (JSON.parse(text) as { job: BoardJob; status: string }).job;
      expect(shown.data).toEqual({
        tenant: 'acme',
        videoId: 'video_1',
        prompt: '[redacted]',
        webhook: { secret: '[redacted]', url: 'u' },
      });

      for (const action of ['retry', 'promote', 'clean']) {
        const refused = await api.call(admin, jobApi(RENDER_QUEUE, `${job.id}/${action}`), { method: 'PUT' });
        expect(refused.status, action).toBe(405);
        expect(await refused.json()).toEqual({ error: { key: 'ERRORS.QUEUE_READ_ONLY' } });
      }
      expect(await job.getState()).toBe('delayed');
    } finally {
      await queue.close();
    }
  });
});

describe('the queue dashboard with DASHBOARD_ACTIONS=true', () => {
  let api: TestApi;
  let admin: string;
  let queue: Queue;
  let workerConnection: Redis;
  beforeAll(async () => {
    api = await startTestApi({ DASHBOARD_ACTIONS: 'true' });
    admin = await api.key('ops', ['admin']);
    queue = createRenderQueue(api.redis.redis, api.redis.prefix);
    workerConnection = createRedis(api.redis.url, 'worker');
  });
  afterAll(async () => {
    await queue?.close();
    workerConnection?.disconnect();
    await api?.close();
  });

  it('retries a completed job and promotes a delayed one, redacting return values', async () => {
    const worker = new Worker(RENDER_QUEUE, async () => ({ outcome: 'ok', accessToken: 'tok_secret' }), {
      connection: workerConnection,
      prefix: `${api.redis.prefix}:q`,
    });
    const done = await queue.add('render', { tenant: 'acme', videoId: 'video_2' });
    await waitFor(async () => (await done.getState()) === 'completed', { timeoutMs: 10_000 });
    await worker.close();

    const shown = (await (await api.call(admin, jobApi(RENDER_QUEUE, done.id!))).json()) as { job: BoardJob };
    expect(shown.job.returnValue).toEqual({ outcome: 'ok', accessToken: '[redacted]' });

    const retried = await api.call(admin, jobApi(RENDER_QUEUE, `${done.id}/retry`), { method: 'PUT' });
    expect(retried.status).toBe(204);
    expect(await done.getState()).toBe('waiting');

    const later = await queue.add('render', { tenant: 'acme', videoId: 'video_3' }, { delay: 3_600_000 });
    const promoted = await api.call(admin, jobApi(RENDER_QUEUE, `${later.id}/promote`), { method: 'PUT' });
    expect(promoted.status).toBe(204);
    expect(await later.getState()).toBe('waiting');
  });

  it('still refuses what would bypass the video records: add, edit, pause, empty, obliterate', async () => {
    const job = await queue.add('render', { tenant: 'acme', videoId: 'video_4' }, { delay: 3_600_000 });
    const attempts: [string, string, unknown][] = [
      ['POST', jobApi(RENDER_QUEUE, 'add'), { name: 'render', data: {} }],
      ['PATCH', jobApi(RENDER_QUEUE, `${job.id}/update-data`), { data: {} }],
      ['PUT', jobApi(RENDER_QUEUE, 'pause'), undefined],
      ['PUT', jobApi(RENDER_QUEUE, 'empty'), undefined],
      ['PUT', jobApi(RENDER_QUEUE, 'obliterate'), undefined],
      ['PUT', board('/api/queues/pause'), undefined],
    ];
    for (const [method, path, body] of attempts) {
      const response = await api.call(admin, path, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      await expectError(response, 405, { code: 'method_not_allowed' });
    }
    expect(await job.getState()).toBe('delayed');
    expect(await queue.isPaused()).toBe(false);
  });
});

describe('the API reference at /docs', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it('serves Swagger UI without auth, from local assets, over the same OpenAPI document', async () => {
    const page = await fetch(`${api.url}/docs`, { redirect: 'follow' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>Reelay API reference</title>');
    expect(html).toContain('swagger-ui-bundle.js');
    expect(html).not.toMatch(/src="https?:/);
    const bundle = await fetch(`${api.url}/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);

    const document = (await (await fetch(`${api.url}/docs/json`)).json()) as {
      info: { title: string };
      paths: Record<string, unknown>;
    };
    expect(document.info.title).toBe('Reelay');
    expect(Object.keys(document.paths)).toContain('/v1/videos');
    expect(document).toEqual(await (await fetch(`${api.url}/openapi.json`)).json());
    // The dashboard, its login and the docs themselves stay out of the API's document.
    expect(
      Object.keys(document.paths).filter((p) => /^\/(docs|admin\/(queues|login|logout))/.test(p)),
    ).toEqual([]);
  });
});

describe('the dashboard behind a TLS-terminating proxy (TRUST_PROXY)', () => {
  let trusting: TestApi;
  let oneHop: TestApi;
  let direct: TestApi;
  beforeAll(async () => {
    [trusting, oneHop, direct] = await Promise.all([
      startTestApi({ TRUST_PROXY: '127.0.0.1' }),
      startTestApi({ TRUST_PROXY: '1' }),
      startTestApi(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([trusting?.close(), oneHop?.close(), direct?.close()]);
  });

  const loginVia = async (api: TestApi, headers: Record<string, string>) =>
    fetch(`${api.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ key: await api.key('ops', ['admin']) }).toString(),
      redirect: 'manual',
    });

  it("makes the session cookie Secure when the trusted proxy says the client's request was https", async () => {
    const behindTls = await loginVia(trusting, { 'x-forwarded-proto': 'https' });
    expect(behindTls.status).toBe(303);
    expect(behindTls.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    // The same proxy forwarding plain http: no Secure, or the browser would drop the cookie.
    const plain = await loginVia(trusting, { 'x-forwarded-proto': 'http' });
    expect(plain.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    // A hop count trusts the nearest proxy the same way.
    const counted = await loginVia(oneHop, { 'x-forwarded-proto': 'https' });
    expect(counted.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
  });

  it('ignores X-Forwarded-Proto from peers it was not told to trust (the default)', async () => {
    const spoofed = await loginVia(direct, { 'x-forwarded-proto': 'https' });
    expect(spoofed.status).toBe(303);
    expect(spoofed.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
  });
});
