import {
  deliveryAttempt,
  deliveryList,
  errorResponse,
  recoverBody,
  recoverResponse,
  resendBody,
  resendResponse,
  rotateSecretBody,
  testWebhookBody,
  videoParams,
  webhookSecret,
} from '@reelay/contracts';
import { ApiError, apiErrors } from '@reelay/errors';
import { messageId, type TenantSecret, terminalEvent } from '@reelay/webhooks';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireKey } from '../plugins/auth.ts';

const errors = { 400: errorResponse, 401: errorResponse, 404: errorResponse, 409: errorResponse };

const presentSecret = (secret: TenantSecret) => ({
  object: 'webhook.secret' as const,
  secret: secret.secret,
  previous_valid_until: secret.previous ? Math.floor(secret.previous.validUntil / 1000) : null,
});

/**
 * Webhook operations for a tenant's own deliveries: the delivery log, resend, recovery of messages that
 * gave up, a signed test event, and the signing secret with rotation.
 */
export async function webhookRoutes(instance: FastifyInstance): Promise<void> {
  requireKey(instance, 'videos');
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { store, webhooks } = app.deps;

  app.get(
    '/videos/:video_id/deliveries',
    {
      schema: {
        summary: "A video's webhook delivery log, newest attempt first",
        params: videoParams,
        response: { 200: deliveryList, ...errors },
      },
    },
    async (request) => {
      const { tenant } = request.principal;
      const record = await store.get(tenant, request.params.video_id);
      if (!record) throw apiErrors.notFound('video', request.params.video_id, 'video_id');
      return { object: 'list' as const, data: await webhooks.log.list(tenant, record.id) };
    },
  );

  app.post(
    '/videos/:video_id/deliveries/resend',
    {
      schema: {
        summary: "Send a video's webhook again (same webhook-id, fresh attempts)",
        params: videoParams,
        body: resendBody,
        response: { 202: resendResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { tenant } = request.principal;
      const record = await store.get(tenant, request.params.video_id);
      if (!record) throw apiErrors.notFound('video', request.params.video_id, 'video_id');
      if (!record.webhookUrl) {
        throw new ApiError(409, 'invalid_state', `Video ${record.id} has no webhook_url.`, {
          param: 'video_id',
        });
      }
      const event = request.body.event ?? terminalEvent(record.status);
      if (!event) {
        throw new ApiError(
          409,
          'invalid_state',
          `Video ${record.id} is ${record.status}: name an event to resend.`,
          {
            param: 'event',
          },
        );
      }
      // Only a message the video had: one it subscribed to, for something that happened to it.
      const reached =
        event === 'video.started' || event === 'video.progress'
          ? record.submittedAt !== null
          : terminalEvent(record.status) === event;
      if (!record.webhookEvents.includes(event) || !reached) {
        throw new ApiError(
          409,
          'invalid_state',
          record.webhookEvents.includes(event)
            ? `Video ${record.id} is ${record.status}; it had no ${event}.`
            : `Video ${record.id} did not subscribe to ${event} (webhook_events: ${record.webhookEvents.join(', ')}).`,
          { param: 'event' },
        );
      }
      const id = messageId(record.id, event, event === 'video.progress' ? record.progress : undefined);
      await webhooks.notifier.resend(
        {
          tenant,
          videoId: record.id,
          event,
          messageId: id,
          occurredAt:
            event === terminalEvent(record.status) ? (record.completedAt ?? record.updatedAt) : Date.now(),
        },
        'resend',
      );
      return reply.code(202).send({ object: 'webhook.resend' as const, message_id: id, event });
    },
  );

  app.post(
    '/webhooks/recover',
    {
      schema: {
        summary: 'Send again every message that gave up in a time range',
        body: recoverBody,
        response: { 200: recoverResponse, ...errors },
      },
    },
    async (request) => {
      const { tenant } = request.principal;
      const since = request.body.since * 1000;
      const until = request.body.until === undefined ? Date.now() : request.body.until * 1000;
      let recovered = 0;
      // In pages. Each message leaves the index only once it is on the queue again, so a failure
      // half-way loses nothing (a retry of the request sends the rest; receivers dedupe on webhook-id).
      for (;;) {
        const batch = await webhooks.log.failedBetween(tenant, since, until, 500);
        for (const data of batch) {
          await webhooks.notifier.resend(data, 'recover');
          await webhooks.log.forgetFailed(data);
        }
        recovered += batch.length;
        if (batch.length < 500) break;
      }
      return { object: 'webhook.recover' as const, recovered };
    },
  );

  app.post(
    '/webhooks/test',
    {
      schema: {
        summary: 'Send a signed webhook.test event to a URL now and report the attempt',
        body: testWebhookBody,
        response: { 200: deliveryAttempt, ...errors },
      },
    },
    async (request) => {
      const check = webhooks.checkUrl(request.body.url);
      if (!check.ok) throw apiErrors.invalid('url', `url is not allowed: ${check.reason}`);
      return webhooks.sendTest(request.principal.tenant, request.body.url);
    },
  );

  app.get(
    '/webhooks/secret',
    {
      schema: {
        summary: "The tenant's webhook signing secret (created on first use)",
        response: { 200: webhookSecret, ...errors },
      },
    },
    async (request) => presentSecret(await webhooks.secrets.get(request.principal.tenant)),
  );

  app.post(
    '/webhooks/secret/rotate',
    {
      schema: {
        summary: 'Rotate the signing secret; the old one keeps signing during the grace period',
        body: rotateSecretBody,
        response: { 200: webhookSecret, ...errors },
      },
    },
    async (request) =>
      presentSecret(
        await webhooks.secrets.rotate(request.principal.tenant, request.body.grace_seconds * 1000),
      ),
  );
}
