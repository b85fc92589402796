import { ApiKeyStore } from '@reelay/tenants';
import { infra, runNode, waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, completeWithOutputs, expectError, type VideoList } from './fixtures.ts';

interface CreatedKey {
  key: string;
  key_id: string;
  tenant: string;
}

import { json, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
beforeAll(async () => {
  // A short key cache, so that a revoked key stops working within the test.
  api = await startTestApi({ API_KEY_CACHE_MS: '100' });
});
afterAll(() => api?.close());

const create = async (key: string, prompt = 'p') => {
  const response = await api.call(key, '/v1/videos', json({ prompt }));
  expect(response.status).toBe(200);
  return (await response.json()) as { id: string };
};

describe('API keys', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['a Bearer header without a key', 'Bearer '],
    ['a Bearer header with two tokens', 'Bearer rl_a rl_b'],
    ['an unknown key', 'Bearer rl_thisKeyWasNeverIssuedByReelay0000000'],
    ['a key without the rl_ prefix', 'Bearer sk-proj-abc'],
  ])('answers 401 for %s', async (_name, authorization) => {
    const response = await fetch(`${api.url}/v1/videos`, {
      headers: authorization === undefined ? {} : { authorization },
    });
    const error = await expectError(response, 401, { code: 'unauthorized' });
    expect(error.type).toBe('authentication_error');
  });

  it('refuses a create without a valid key before reading the body', async () => {
    const response = await fetch(`${api.url}/v1/videos`, { ...json({ prompt: 'p' }) });
    await expectError(response, 401);
  });

  it('stops accepting a key revoked through the admin API at once', async () => {
    const admin = await api.key('ops', ['admin']);
    const created = await bodyOf<CreatedKey>(
      await api.call(admin, '/admin/keys', json({ tenant: 'revoked', name: 'ci' })),
    );
    expect(created).toMatchObject({
      tenant: 'revoked',
      name: 'ci',
      scopes: ['videos'],
      key: expect.stringMatching(/^rl_/),
    });
    expect((await api.call(created.key, '/v1/videos')).status).toBe(200);

    const revoke = await api.call(admin, `/admin/keys/${created.key_id}`, { method: 'DELETE' });
    expect(await revoke.json()).toEqual({ key_id: created.key_id, revoked: true });
    await expectError(await api.call(created.key, '/v1/videos'), 401);
  });

  it('stops accepting a key revoked elsewhere once API_KEY_CACHE_MS has passed', async () => {
    const key = await api.key('revoked');
    expect((await api.call(key, '/v1/videos')).status).toBe(200); // now cached by the api
    // Another process (the admin CLI, another api instance) revokes it: this api only learns it from Redis.
    const elsewhere = new ApiKeyStore(api.redis.redis, api.redis.prefix);
    const [info] = (await elsewhere.list('revoked')).filter((k) => k.name === '');
    expect(await elsewhere.revoke(info!.keyId)).toBe(true);
    await waitFor(async () => (await api.call(key, '/v1/videos')).status === 401, {
      timeoutMs: 2_000,
      what: 'the revoked key to be refused',
    });
  });
});

describe('tenant isolation', () => {
  let a: string;
  let b: string;
  let queued: { id: string };
  let done: { id: string };
  beforeAll(async () => {
    [a, b] = [await api.key('iso-a'), await api.key('iso-b')];
    queued = await create(a, 'queued one');
    done = await create(a, 'finished one');
    await completeWithOutputs(api, 'iso-a', done.id, [
      { variant: 'video', name: 'video.mp4', data: Buffer.from('mp4 bytes'), contentType: 'video/mp4' },
    ]);
  });

  it.each([
    ['GET', ''],
    ['DELETE', ''],
    ['POST', '/cancel'],
    ['GET', '/content'],
    ['GET', '/content?variant=thumbnail'],
    ['GET', '/events'],
  ])("answers 404 to another tenant's %s /v1/videos/{id}%s", async (method, suffix) => {
    for (const video of [queued, done]) {
      const response = await api.call(b, `/v1/videos/${video.id}${suffix}`, { method });
      await expectError(response, 404, { code: 'not_found' });
      const gateway = await api.call(b, `/newapi/v1/videos/${video.id}${suffix}`, { method });
      await expectError(gateway, 404, { code: 'not_found' });
    }
  });

  it("left A's videos untouched by B's attempts", async () => {
    const queuedNow = await (await api.call(a, `/v1/videos/${queued.id}`)).json();
    expect(queuedNow).toMatchObject({ status: 'queued', reelay: { cancel_requested: false } });
    const content = await api.call(a, `/v1/videos/${done.id}/content`);
    expect(await content.text()).toBe('mp4 bytes');
  });

  it("never lists another tenant's videos", async () => {
    const mine = await create(b, 'b owns this');
    const listB = await bodyOf<VideoList>(await api.call(b, '/v1/videos?limit=100'));
    expect(listB.data.map((v) => v.id)).toEqual([mine.id]);
    const listA = await bodyOf<VideoList>(await api.call(a, '/v1/videos?limit=100'));
    expect(listA.data.map((v) => v.id).sort()).toEqual([queued.id, done.id].sort());
    // A cursor taken from another tenant's id does not leak anything either.
    const after = await bodyOf<VideoList>(await api.call(b, `/v1/videos?after=${done.id}&order=asc`));
    expect(after.data.every((v) => v.reelay.tenant === 'iso-b')).toBe(true);
  });
});

describe('admin endpoints', () => {
  it('require the admin scope', async () => {
    const videosOnly = await api.key('plain');
    for (const [method, path] of [
      ['GET', '/admin/keys'],
      ['POST', '/admin/keys'],
      ['DELETE', '/admin/keys/key_0123456789abcdef'],
    ] as const) {
      const response = await api.call(
        videosOnly,
        path,
        method === 'POST' ? json({ tenant: 'x' }) : { method },
      );
      const error = await expectError(response, 403, { code: 'forbidden' });
      expect(error.type).toBe('permission_error');
    }
    await expectError(await fetch(`${api.url}/admin/keys`), 401);
  });

  it('do not make an admin-only key a videos key', async () => {
    const adminOnly = await api.key('ops', ['admin']);
    await expectError(await api.call(adminOnly, '/v1/videos'), 403, { code: 'forbidden' });
  });

  it('create, list and revoke keys, never showing a key after its creation', async () => {
    const admin = await api.key('ops', ['admin']);
    const created = await bodyOf<CreatedKey>(
      await api.call(admin, '/admin/keys', json({ tenant: 'zeta', name: 'backend', scopes: ['videos'] })),
    );
    expect(created.key_id).toMatch(/^key_[0-9a-f]{16}$/);
    const video = await create(created.key);
    const listed = await bodyOf<VideoList>(await api.call(created.key, '/v1/videos'));
    expect(listed.data[0]).toMatchObject({ id: video.id, reelay: { tenant: 'zeta' } });

    const keys = await api.call(admin, '/admin/keys?tenant=zeta');
    const text = await keys.text();
    expect(text).not.toContain(created.key);
    expect(JSON.parse(text)).toEqual({
      object: 'list',
      data: [
        {
          key_id: created.key_id,
          tenant: 'zeta',
          name: 'backend',
          scopes: ['videos'],
          created_at: expect.any(Number),
        },
      ],
    });

    expect((await api.call(admin, `/admin/keys/${created.key_id}`, { method: 'DELETE' })).status).toBe(200);
    await expectError(await api.call(admin, `/admin/keys/${created.key_id}`, { method: 'DELETE' }), 404, {
      param: 'key_id',
    });
    const after = await bodyOf<{ data: unknown[] }>(await api.call(admin, '/admin/keys?tenant=zeta'));
    expect(after.data).toEqual([]);
  });

  it('validate what they are given', async () => {
    const admin = await api.key('ops', ['admin']);
    await expectError(await api.call(admin, '/admin/keys', json({ tenant: 'Not OK' })), 400, {
      param: 'tenant',
    });
    await expectError(await api.call(admin, '/admin/keys', json({ tenant: 'ok', scopes: ['root'] })), 400);
    await expectError(await api.call(admin, '/admin/keys', json({ tenant: 'ok', scopes: [] })), 400, {
      param: 'scopes',
    });
    await expectError(await api.call(admin, '/admin/keys/nope', { method: 'DELETE' }), 400, {
      param: 'key_id',
    });
    await expectError(await api.call(admin, '/admin/keys?tenant=Bad!'), 400, { param: 'tenant' });
  });
});

describe('admin CLI', () => {
  const cli = (...args: string[]) =>
    runNode(
      'services/api/src/admin.ts',
      { REDIS_URL: infra().redisUrl, REDIS_PREFIX: api.redis.prefix },
      args,
    );

  it('creates a key that works against the api', async () => {
    const run = cli('create-key', '--tenant', 'cli-tenant', '--name', 'from the shell');
    expect((await run.exited).code, run.output().stderr).toBe(0);
    const printed = JSON.parse(run.output().stdout);
    expect(printed).toMatchObject({
      tenant: 'cli-tenant',
      scopes: ['videos'],
      key: expect.stringMatching(/^rl_/),
    });
    const video = await create(printed.key);
    expect((await bodyOf(await api.call(printed.key, `/v1/videos/${video.id}`))).reelay.tenant).toBe(
      'cli-tenant',
    );
    await expectError(await api.call(printed.key, '/admin/keys'), 403);

    const list = cli('list-keys', '--tenant', 'cli-tenant');
    expect((await list.exited).code).toBe(0);
    expect(list.output().stdout).toContain(printed.key_id);
    expect(list.output().stdout).not.toContain(printed.key);
  });

  it.each([
    [['create-key'], /--tenant/],
    [['create-key', '--tenat', 'x'], /--tenat/],
    [['create-key', '--tenant'], /--tenant/],
    [['create-key', '--tenant', 'Bad Tenant!'], /tenant/],
    [['revoke-key'], /key id/],
    [['revoke-key', 'key_0000000000000000'], /key_0000000000000000/],
    [['frobnicate'], /frobnicate/],
  ])('explains a bad invocation %j in one line and exits non-zero', async (args, mentions) => {
    const run = cli(...args);
    const { code } = await run.exited;
    const { stderr, stdout } = run.output();
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^reelay-admin: [^\n]+\n$/);
    expect(stderr).toMatch(mentions);
  });

  it('says in one line when Redis cannot be reached', async () => {
    const run = runNode('services/api/src/admin.ts', { REDIS_URL: 'redis://127.0.0.1:1' }, ['list-keys']);
    expect((await run.exited).code).toBe(1);
    expect(run.output().stderr).toMatch(
      /^reelay-admin: cannot reach Redis at redis:\/\/127\.0\.0\.1:1[^\n]*\n$/,
    );
  });
});
