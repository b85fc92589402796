import { z } from 'zod';
import { videoObject, WEBHOOK_EVENTS } from './videos.ts';

// What Reelay POSTs to a caller's webhook_url: a Standard Webhooks v1 message. The headers
// (`webhook-id`, `webhook-timestamp`, `webhook-signature`) sign `${id}.${timestamp}.${raw body}`; the body
// is one of these. `webhook-id` is the same on every retry and resend of one event: dedupe on it.

/** Sent by `POST /v1/webhooks/test` so an endpoint can check its verification code. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** The video as the API answers it, plus a fresh presigned link to the video file once there is one. */
export const webhookVideo = videoObject
  .extend({
    download_url: z
      .string()
      .nullable()
      .describe('presigned GET URL of the video file, valid for a limited time; null until completed'),
  })
  .meta({ id: 'WebhookVideo' });

export const videoWebhookPayload = z
  .object({
    type: z.enum(WEBHOOK_EVENTS),
    /** When the event happened (ISO 8601), not when this attempt was sent. */
    timestamp: z.string(),
    data: webhookVideo,
  })
  .meta({ id: 'VideoWebhookPayload' });

export const testWebhookPayload = z
  .object({
    type: z.literal(WEBHOOK_TEST_EVENT),
    timestamp: z.string(),
    data: z.object({ tenant: z.string(), url: z.string(), message: z.string() }),
  })
  .meta({ id: 'TestWebhookPayload' });

export const webhookPayload = z.discriminatedUnion('type', [videoWebhookPayload, testWebhookPayload]);
export type WebhookPayload = z.infer<typeof webhookPayload>;
export type VideoWebhookPayload = z.infer<typeof videoWebhookPayload>;

/** Request bodies are capped: large assets are linked (download_url), never embedded. */
export const MAX_WEBHOOK_PAYLOAD_BYTES = 64 * 1024;

// --- webhook operations (api routes) -------------------------------------------------------------

export const deliveryAttempt = z
  .object({
    message_id: z.string().describe('the webhook-id header: the same on every retry and resend'),
    event: z.string(),
    attempt: z.number().int().describe('1 for the first try of this delivery (a resend starts again at 1)'),
    resend: z.boolean(),
    at: z.number().int().describe('unix ms'),
    url: z.string(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error_class: z
      .string()
      .nullable()
      .describe(
        'http_status, redirect, timeout, connect, dns, tls, reset, protocol, blocked, endpoint_disabled, gone',
      ),
    response: z.string().describe("the start of the endpoint's answer, or the error"),
    outcome: z.enum(['delivered', 'retrying', 'failed', 'gone', 'skipped']),
    next_attempt_at: z.number().int().nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const deliveryList = z
  .object({ object: z.literal('list'), data: z.array(deliveryAttempt) })
  .meta({ id: 'DeliveryList' });

export const resendBody = z.strictObject({
  event: z
    .enum(WEBHOOK_EVENTS)
    .optional()
    .describe("which event to send again; default: the video's final event"),
});

export const resendResponse = z.object({
  object: z.literal('webhook.resend'),
  message_id: z.string(),
  event: z.enum(WEBHOOK_EVENTS),
});

export const recoverBody = z
  .strictObject({
    since: z.number().int().min(0).describe('unix seconds: messages that gave up at or after this'),
    until: z.number().int().min(0).optional().describe('unix seconds; default: now'),
  })
  .refine((body) => body.until === undefined || body.until >= body.since, {
    error: 'until must not be before since',
    path: ['until'],
  });

export const recoverResponse = z.object({
  object: z.literal('webhook.recover'),
  recovered: z.number().int(),
});

/** A webhook receiver's URL, as the test event and the endpoint pages take it. */
const receiverUrl = z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }).max(2048);

export const testWebhookBody = z.strictObject({ url: receiverUrl });

export const webhookSecret = z
  .object({
    object: z.literal('webhook.secret'),
    secret: z.string().describe('whsec_...: verify deliveries with it (Standard Webhooks)'),
    previous_valid_until: z
      .number()
      .int()
      .nullable()
      .describe('unix seconds until which the previous secret also signs (after a rotation)'),
  })
  .meta({ id: 'WebhookSecret' });

export const rotateSecretBody = z.strictObject({
  grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(24 * 3600)
    .describe('how long the old secret keeps signing next to the new one (default 24 h, at most 7 days)'),
});

// Any other scheme has no origin (`new URL('mailto:a@b').origin` is "null"): all of them would share one
// endpoint entry.
export const endpointQuery = z.strictObject({ url: receiverUrl });

export const endpointState = z
  .object({
    object: z.literal('webhook.endpoint'),
    endpoint: z.string().describe('scheme, host and port: limits and health are kept per endpoint'),
    failing_since: z.number().int().nullable(),
    last_success_at: z.number().int().nullable(),
    last_failure_at: z.number().int().nullable(),
    disabled_at: z.number().int().nullable(),
    in_flight: z.number().int(),
  })
  .meta({ id: 'WebhookEndpoint' });
