import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { client, ffprobe, pollToEnd, REPO_ROOT, tempDir, useSimulator } from './helpers.ts';

// The new-api gateway flavor under /newapi/v1 (and under /v1 when SIM_FLAVOR=newapi), and the seed's
// curl sample client running against it unchanged.

const run = promisify(execFile);
const sim = await useSimulator();
const gateway = client(sim, 'key-newapi', '/newapi/v1');

describe('newapi flavor', () => {
  it('answers task ids, upper-case statuses and "NN%" progress; "100%" only with SUCCESS', async () => {
    const created = await gateway.create({ prompt: 'a gateway job #sim(queue_ms=150,render_ms=500)' });
    expect(created.status).toBe(200);
    expect(created.body.id).toMatch(/^task_[0-9a-f]{32}$/);
    expect(created.body.task_id).toBe(created.body.id);
    expect(['SUBMITTED', 'QUEUED']).toContain(created.body.status);
    expect(created.body.progress).toBe('0%');
    expect(created.body.fail_reason).toBeNull();

    const seen = await pollToEnd(gateway, created.body.id, 10);
    for (const v of seen) {
      expect(v.progress).toMatch(/^\d{1,3}%$/);
      expect(['SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'SUCCESS']).toContain(v.status);
      expect(v.progress === '100%').toBe(v.status === 'SUCCESS');
    }
    expect(seen.some((v) => v.status === 'IN_PROGRESS')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: 'SUCCESS', progress: '100%', error: null });
    expect(seen.at(-1)!.completed_at).toEqual(expect.any(Number));

    const content = await gateway.content(created.body.id);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('video/mp4');
  });

  it('reports a failure as FAILURE with fail_reason, never at "100%"', async () => {
    const created = await gateway.create({
      prompt: 'no [blocked] #sim(queue_ms=0,render_ms=200,fail_at=1)',
    });
    const last = (await pollToEnd(gateway, created.body.id, 10)).at(-1)!;
    expect(last.status).toBe('FAILURE');
    expect(last.progress).not.toBe('100%');
    expect(last.fail_reason).toEqual(expect.any(String));
    expect(last.error).toMatchObject({ code: 'moderation_blocked' });
  });

  it('lists, deletes and answers errors in the same shapes', async () => {
    const listed = await gateway.list('?limit=1');
    expect(listed.body.object).toBe('list');
    expect(listed.body.data[0]?.id).toMatch(/^task_/);
    expect(listed.body.data[0]?.progress).toMatch(/%$/);
    const missing = await gateway.retrieve('task_nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('video_not_found');
  });

  it('serves /v1 in the newapi shape when SIM_FLAVOR=newapi, openai under /openai/v1', async () => {
    const flavored = await useSimulator({ SIM_FLAVOR: 'newapi' });
    // A long queue wait: the job must still be queued when the second request reads it, however loaded
    // the machine is (the fast test clock would otherwise move it on between the two requests).
    const plain = await client(flavored, 'k').create({ prompt: 'p #sim(queue_ms=60000)' });
    expect(plain.body.id).toMatch(/^task_/);
    expect(plain.body.progress).toBe('0%');
    const openai = await client(flavored, 'k', '/openai/v1').retrieve(plain.body.id);
    expect(openai.body.progress).toBe(0);
    expect(openai.body.status).toBe('queued');
  });
});

describe('the seed sample client', () => {
  const script = join(REPO_ROOT, '../shared/seed/sample-client.sh');

  it('runs to completion against BASE=<url>/newapi and downloads a valid MP4', async () => {
    if (!existsSync(script)) {
      throw new Error(
        `seed sample client not found at ${script}: this test needs ../shared/seed/sample-client.sh`,
      );
    }
    const outdir = await tempDir();
    try {
      const { stdout } = await run('bash', [script], {
        env: { ...process.env, BASE: `${sim.url}/newapi`, KEY: 'key-seed', POLL_S: '0.2', OUTDIR: outdir },
        timeout: 30_000,
      });
      expect(stdout).toContain('Video generation completed!');
      const files = await readdir(outdir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^task_.*\.mp4$/);
      const probe = await ffprobe(join(outdir, files[0]!));
      expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 720, height: 1280 });
      expect(probe.streams.some((s) => s.codec_type === 'audio')).toBe(true);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
