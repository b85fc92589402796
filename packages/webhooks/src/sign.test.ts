import { MAX_WEBHOOK_PAYLOAD_BYTES, videoWebhookPayload } from '@reelay/contracts';
import { newRecord } from '@reelay/jobs';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { buildPayload } from './payload.ts';
import { newWebhookSecret } from './secrets.ts';
import { signMessage } from './sign.ts';

const record = (prompt: string) =>
  newRecord({
    tenant: 't1',
    body: {
      prompt,
      model: 'sora-2',
      size: '720x1280',
      seconds: '4',
      priority: 'normal',
      webhook_url: 'https://example.com/h',
    },
    inputReference: null,
    pricePerSecond: 0.1,
    idempotencyKey: null,
  });

describe('signing', () => {
  it('produces headers the stock standardwebhooks and svix verifiers accept', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = buildPayload(record('a fox'), 'video.completed', Date.now(), null);
    const headers = signMessage([secret], 'msg_1', new Date(), body);
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: 'video.completed' });
    // svix 2.x verifies (throws on a bad message) and returns nothing.
    expect(() => new SvixWebhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new SvixWebhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  it('signs with every secret given, each verifying on its own', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const body = '{"type":"webhook.test"}';
    const headers = signMessage([a, b], 'msg_2', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(a).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(b).verify(body, headers)).not.toThrow();
  });
});

describe('payload', () => {
  it('is the documented shape', () => {
    const body = JSON.parse(buildPayload(record('a fox'), 'video.failed', 0, null));
    expect(videoWebhookPayload.parse(body)).toMatchObject({
      type: 'video.failed',
      timestamp: '1970-01-01T00:00:00.000Z',
      data: { object: 'video', prompt: 'a fox', download_url: null },
    });
  });

  it('stays within 64 KB by cutting an oversized prompt, multi-byte characters included', () => {
    const body = buildPayload(record('é🎬'.repeat(30_000)), 'video.completed', 0, 'https://s3/x');
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_WEBHOOK_PAYLOAD_BYTES);
    const parsed = JSON.parse(body);
    expect(parsed.data.prompt).toMatch(/…\[truncated\]$/);
    expect(parsed.data.prompt).not.toContain('\uFFFD');
    expect(parsed.data.download_url).toBe('https://s3/x');
  });
});

describe('payload with escapes', () => {
  it('fits even when JSON escaping inflates the prompt', () => {
    const body = buildPayload(record('"\n'.repeat(40_000)), 'video.completed', 0, null);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_WEBHOOK_PAYLOAD_BYTES);
    expect(JSON.parse(body).data.prompt).toMatch(/^"\n/);
  });
});
