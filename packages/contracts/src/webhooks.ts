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
