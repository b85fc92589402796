import { describe, expect, it } from 'vitest';
import { mapStatus, parseProgress, parseTimestamp, readVideo } from './video.ts';

const BASE = 'https://gateway.example/v1';
const NOW = Date.parse('2026-10-21T12:00:00Z');
const nowS = NOW / 1000;

describe('mapStatus', () => {
  it.each([
    ['queued', 'queued'],
    ['NOT_START', 'queued'],
    ['SUBMITTED', 'queued'],
    ['QUEUED', 'queued'],
    ['in_progress', 'running'],
    ['IN_PROGRESS', 'running'],
    ['In-Progress', 'running'],
    ['completed', 'completed'],
    ['SUCCESS', 'completed'],
    ['failed', 'failed'],
    ['FAILURE', 'failed'],
    ['cancelled', 'canceled'],
    // Not an end: the gateway could not map its upstream's status yet. Keep polling.
    ['UNKNOWN', 'running'],
    ['unknown', 'running'],
    ['SOMETHING_NEW', 'running'],
  ])('%s -> %s', (status, state) => {
    expect(mapStatus(status)).toBe(state);
  });

  it('reads a missing status as not finished', () => {
    expect(mapStatus(undefined)).toBe('running');
  });
});

describe('parseProgress', () => {
  it.each([
    [42, 42],
    ['42%', 42],
    [' 7 % ', 7],
    ['100%', 100],
    ['12.5%', 12.5],
    ['33', 33],
    [150, 100],
    [-3, 0],
  ])('%j -> %d', (value, progress) => {
    expect(parseProgress(value)).toBe(progress);
  });

  it.each([null, undefined, 'abc', '', '%', Number.NaN, {}])('%j -> undefined', (value) => {
    expect(parseProgress(value)).toBeUndefined();
  });
});

describe('parseTimestamp', () => {
  it('reads unix seconds, ms and numeric strings; 0 and null are unset', () => {
    expect(parseTimestamp(1_760_000_000)).toBe(1_760_000_000_000);
    expect(parseTimestamp(1_760_000_000_123)).toBe(1_760_000_000_123);
    expect(parseTimestamp('1760000000')).toBe(1_760_000_000_000);
    expect(parseTimestamp(0)).toBeUndefined();
    expect(parseTimestamp(null)).toBeUndefined();
  });
});

describe('readVideo', () => {
  it('reads an OpenAI video object and ignores unknown fields', () => {
    const view = readVideo(
      {
        id: 'video_1',
        object: 'video',
        status: 'in_progress',
        progress: 37,
        created_at: nowS - 10,
        model: 'sora-2',
        prompt: 'a cat',
        size: '720x1280',
        seconds: '8',
        quality: 'standard',
        usage: { total_tokens: 1 },
      },
      NOW,
      BASE,
    );
    expect(view).toEqual({
      id: 'video_1',
      hasStatus: true,
      poll: { state: 'running', progress: 37 },
      echo: { createdAt: NOW - 10_000, model: 'sora-2', prompt: 'a cat', size: '720x1280', seconds: '8' },
    });
  });

  it('takes task_id when there is no id, and numeric seconds as a string', () => {
    const view = readVideo(
      { task_id: 'task_9', status: 'SUBMITTED', progress: '10%', seconds: 4 },
      NOW,
      BASE,
    );
    expect(view).toMatchObject({
      id: 'task_9',
      echo: { seconds: '4' },
      poll: { state: 'queued', progress: 10 },
    });
  });

  it('does not call progress 100 done while the status is not', () => {
    const view = readVideo({ id: 'task_1', status: 'IN_PROGRESS', progress: '100%' }, NOW, BASE);
    expect(view.poll).toEqual({ state: 'running', progress: 100 });
  });

  it('succeeds with /content locators carrying expires_at', () => {
    const view = readVideo(
      { id: 'video_1', status: 'completed', progress: 100, expires_at: nowS + 3600 },
      NOW,
      BASE,
    );
    const expiresAt = NOW + 3_600_000;
    expect(view.poll).toEqual({
      state: 'succeeded',
      progress: 100,
      results: {
        video: { kind: 'adapter', variant: 'video', expiresAt },
        thumbnail: { kind: 'adapter', variant: 'thumbnail', expiresAt },
        spritesheet: { kind: 'adapter', variant: 'spritesheet', expiresAt },
      },
    });
  });

  it('reports a finished job whose content expired as expired, with a code', () => {
    const view = readVideo({ id: 'video_1', status: 'completed', expires_at: nowS - 1 }, NOW, BASE);
    expect(view.poll.state).toBe('expired');
    expect(view.poll.results).toBeUndefined();
    expect(view.poll.error).toMatchObject({ kind: 'terminal', code: 'content_expired' });
  });

  it.each([
    [{ metadata: { url: 'https://cdn.example/a.mp4' } }, 'https://cdn.example/a.mp4'],
    [{ url: 'https://cdn.example/b.mp4' }, 'https://cdn.example/b.mp4'],
    [{ result_url: 'https://cdn.example/c.mp4' }, 'https://cdn.example/c.mp4'],
    // new-api keeps the result URL of a SUCCESS task in fail_reason.
    [{ fail_reason: 'https://cdn.example/d.mp4' }, 'https://cdn.example/d.mp4'],
    [{ url: '/files/e.mp4' }, 'https://gateway.example/files/e.mp4'],
    [
      { metadata: { url: 'data:video/mp4;base64,AAAA' }, url: 'https://cdn.example/f.mp4' },
      'https://cdn.example/f.mp4',
    ],
  ])('takes the result URL from %j', (fields, url) => {
    const view = readVideo({ id: 'task_1', status: 'SUCCESS', progress: '100%', ...fields }, NOW, BASE);
    expect(view.poll.results?.video).toEqual({ kind: 'url', url });
    expect(view.poll.results?.thumbnail).toEqual({ kind: 'adapter', variant: 'thumbnail' });
  });

  it('classifies a failure given only as fail_reason text', () => {
    const blocked = readVideo(
      { id: 'task_1', status: 'FAILURE', fail_reason: 'Prompt rejected by the safety system' },
      NOW,
      BASE,
    );
    expect(blocked.poll).toEqual({
      state: 'failed',
      error: {
        kind: 'content_rejected',
        code: 'moderation_blocked',
        message: 'Prompt rejected by the safety system',
      },
    });
    const other = readVideo({ id: 'task_2', status: 'FAILURE', fail_reason: 'GPU fell over' }, NOW, BASE);
    expect(other.poll.error).toEqual({
      kind: 'terminal',
      code: 'generation_failed',
      message: 'GPU fell over',
    });
  });

  it('keeps the provider code of a failure, and the progress it reached', () => {
    const view = readVideo(
      {
        id: 'video_1',
        status: 'failed',
        progress: 41,
        error: { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' },
      },
      NOW,
      BASE,
    );
    expect(view.poll).toMatchObject({
      state: 'failed',
      progress: 41,
      error: { kind: 'content_rejected', code: 'moderation_blocked' },
    });
  });

  it('reads new-api canceled (FAILURE with reason "canceled") as canceled', () => {
    const view = readVideo({ id: 'task_1', status: 'FAILURE', fail_reason: 'canceled' }, NOW, BASE);
    expect(view.poll).toEqual({ state: 'canceled' });
  });

  it('says when a body has no status, so no state is invented for a create answer', () => {
    expect(readVideo({ id: 'video_1' }, NOW, BASE).hasStatus).toBe(false);
  });
});
