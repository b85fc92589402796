import { randomBytes } from 'node:crypto';
import type { VideoObject } from '@reelay/contracts';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookPayloadError, WebhookVerificationError } from './verify.ts';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const OLD = newSecret();
const NEW = newSecret();

const video: VideoObject = {
  id: `video_${'ab'.repeat(16)}`,
  object: 'video',
  created_at: 1_790_000_000,
  status: 'completed',
  model: 'sora-2',
  progress: 100,
  seconds: '4',
  size: '720x1280',
  prompt: 'A calico cat playing a piano',
  completed_at: 1_790_000_060,
  expires_at: null,
  remixed_from_video_id: null,
  error: null,
  reelay: {
    tenant: 'acme',
    provider: 'sim',
    provider_job_id: 'video_123',
    model: 'sora-2',
    step: 'done',
    attempts: 1,
    queue_position: null,
    priority: 'normal',
    metadata: { order: '42' },
    outputs: [],
    cost: { usd: 0.4, estimated: false },
    webhook: null,
    cancel_requested: false,
  },
};
const body = JSON.stringify({
  type: 'video.completed',
  timestamp: new Date().toISOString(),
  data: { ...video, download_url: 'https://s3.example/video.mp4?X-Amz-Signature=abc' },
});

/** Headers as Reelay sends them, signed with each secret given (several: a rotation). */
function sign(payload: string, secrets: string[], at = new Date(), id = 'msg_2Lq0aBc') {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, payload)).join(' '),
  };
}

describe('verifyWebhook', () => {
  it('accepts a signed message and returns its typed payload', () => {
    const payload = verifyWebhook(body, sign(body, [NEW]), NEW);
    expect(payload.type).toBe('video.completed');
    if (payload.type === 'webhook.test') throw new Error('unexpected test event');
    expect(payload.data).toMatchObject({ id: video.id, status: 'completed', reelay: { tenant: 'acme' } });
    expect(payload.data.download_url).toContain('X-Amz-Signature');
  });

  it('takes a Buffer body, Node request headers (any case, arrays) and fetch Headers', () => {
    const headers = sign(body, [NEW]);
    expect(verifyWebhook(Buffer.from(body), headers, NEW).type).toBe('video.completed');
    const nodeStyle = {
      'Webhook-Id': headers['webhook-id'],
      'WEBHOOK-TIMESTAMP': headers['webhook-timestamp'],
      'webhook-signature': [headers['webhook-signature']],
      'content-type': 'application/json',
      'x-absent': undefined,
    };
    expect(verifyWebhook(body, nodeStyle, NEW).type).toBe('video.completed');
    expect(verifyWebhook(body, new Headers(headers), NEW).type).toBe('video.completed');
  });

  it('rejects a tampered body', () => {
    const headers = sign(body, [NEW]);
    const tampered = body.replace('"completed"', '"failed"');
    expect(tampered).not.toBe(body);
    expect(() => verifyWebhook(tampered, headers, NEW)).toThrow(WebhookVerificationError);
    // Re-serialized JSON is a different byte string: verification needs the raw body.
    const reserialized = JSON.stringify(JSON.parse(body), null, 2);
    expect(() => verifyWebhook(reserialized, headers, NEW)).toThrow(WebhookVerificationError);
  });

  it('rejects a message signed with another secret, or with a forged signature', () => {
    expect(() => verifyWebhook(body, sign(body, [OLD]), NEW)).toThrow(WebhookVerificationError);
    const forged = { ...sign(body, [NEW]), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` };
    expect(() => verifyWebhook(body, forged, NEW)).toThrow(WebhookVerificationError);
    // A signature for another message id does not carry over.
    const otherId = { ...sign(body, [NEW]), 'webhook-id': 'msg_other' };
    expect(() => verifyWebhook(body, otherId, NEW)).toThrow(WebhookVerificationError);
  });

  it('rejects a timestamp more than 5 minutes old or ahead, even when correctly signed', () => {
    const old = sign(body, [NEW], new Date(Date.now() - 6 * 60_000));
    expect(() => verifyWebhook(body, old, NEW)).toThrow(/too old/);
    const ahead = sign(body, [NEW], new Date(Date.now() + 6 * 60_000));
    expect(() => verifyWebhook(body, ahead, NEW)).toThrow(/too new/);
    const recent = sign(body, [NEW], new Date(Date.now() - 4 * 60_000));
    expect(verifyWebhook(body, recent, NEW).type).toBe('video.completed');
  });

  it('rejects a message missing any of the three headers', () => {
    const headers = sign(body, [NEW]);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _dropped, ...rest } = headers;
      expect(() => verifyWebhook(body, rest, NEW), name).toThrow(WebhookVerificationError);
    }
    expect(() => verifyWebhook(body, {}, NEW)).toThrow(WebhookVerificationError);
  });

  it('during a rotation accepts a message signed with either secret', () => {
    // Sender side of a rotation: both signatures in one header, `v1,<a> v1,<b>`.
    const both = sign(body, [OLD, NEW]);
    expect(both['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(verifyWebhook(body, both, OLD).type).toBe('video.completed');
    expect(verifyWebhook(body, both, NEW).type).toBe('video.completed');
    // Receiver side: configured with old and new, it accepts messages signed with only one of them.
    expect(verifyWebhook(body, sign(body, [OLD]), [OLD, NEW]).type).toBe('video.completed');
    expect(verifyWebhook(body, sign(body, [NEW]), [OLD, NEW]).type).toBe('video.completed');
    expect(() => verifyWebhook(body, sign(body, [newSecret()]), [OLD, NEW])).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook(body, both, [])).toThrow(TypeError);
  });

  it('parses the test event, and reports an authentic body that is no known payload', () => {
    const test = JSON.stringify({
      type: 'webhook.test',
      timestamp: new Date().toISOString(),
      data: { tenant: 'acme', url: 'https://hooks.example/reelay', message: 'hello' },
    });
    expect(verifyWebhook(test, sign(test, [NEW]), NEW)).toMatchObject({
      type: 'webhook.test',
      data: { tenant: 'acme' },
    });

    const unknown = JSON.stringify({ type: 'video.exploded', timestamp: '2026-01-01T00:00:00Z', data: {} });
    let error: unknown;
    try {
      verifyWebhook(unknown, sign(unknown, [NEW]), NEW);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebhookPayloadError);
    expect((error as WebhookPayloadError).payload).toMatchObject({ type: 'video.exploded' });
    expect(() => verifyWebhook('not json', sign('not json', [NEW]), NEW)).toThrow(WebhookPayloadError);
  });
});
