import {
  contentQuery,
  createVideoBody,
  errorResponse,
  listVideosQuery,
  TERMINAL_STATUSES,
  videoDeleted,
  videoList,
  videoObject,
  videoParams,
} from '@reelay/contracts';
import { ApiError, apiErrors } from '@reelay/errors';
import {
  newRecord,
  newVideoId,
  queuePosition,
  requestHash,
  submitVideo,
  toVideoObject,
  type VideoRecord,
} from '@reelay/jobs';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireKey } from '../plugins/auth.ts';
import { deleteOutputs, sendContent, storeInputReference } from './content.ts';
import { type OpenStreams, streamEvents } from './events.ts';
import { toGatewayObject } from './present.ts';

export type Flavor = 'openai' | 'newapi';

const errors = { 400: errorResponse, 401: errorResponse, 404: errorResponse, 409: errorResponse };

/**
 * The /v1/videos surface. Registered once per flavor: `openai` at /v1 (the documented API) and
 * `newapi` at /newapi/v1 (the gateway shape shell clients parse; same handlers, same data).
 */
export async function videoRoutes(instance: FastifyInstance, { flavor }: { flavor: Flavor }): Promise<void> {
  requireKey(instance, 'videos');
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { store, queue, catalog, redis } = app.deps;
  // The gateway flavor is the same API in another spelling: documented once, under /v1.
  const hide = flavor === 'newapi';
  const present = async (record: VideoRecord, withPosition = true) => {
    const position =
      withPosition && record.status === 'queued'
        ? await queuePosition(redis, queue, record.id).catch(() => null)
        : null;
    const video = toVideoObject(record, position);
    return flavor === 'openai' ? video : toGatewayObject(video);
  };
  const streams: OpenStreams = new Set();
  // preClose runs before the server stops listening and waits for connections: an open event stream
  // would otherwise hold `close()` (and a SIGTERM) until its video finished.
  instance.addHook('preClose', async () => {
    for (const end of streams) end();
  });
  const load = async (tenant: string, id: string) => {
    const record = await store.get(tenant, id);
    if (!record) throw apiErrors.notFound('video', id, 'video_id');
    return record;
  };

  app.post(
    '/videos',
    {
      config: { multipart: true },
      schema: {
        hide,
        summary: 'Create a video job',
        description:
          'JSON or multipart/form-data. Send an Idempotency-Key header to make retries safe: the same key and body return the original video; a different body is a 422.',
        body: createVideoBody,
        response: hide ? undefined : { 200: videoObject, ...errors, 422: errorResponse },
      },
    },
    async (request, reply) => {
      const { tenant } = request.principal;
      const { input_reference: input, ...body } = request.body;
      const check = catalog.check(body.model, body.size, body.seconds, body.provider);
      if (!check.ok) throw apiErrors.invalid(check.param, check.message);
      if (body.webhook_url) {
        const target = app.deps.webhooks.checkUrl(body.webhook_url);
        if (!target.ok)
          throw apiErrors.invalid('webhook_url', `webhook_url is not allowed: ${target.reason}`);
      }

      const idempotencyKey = readIdempotencyKey(request.headers['idempotency-key']);
      const id = newVideoId();
      const upload = input && 'upload' in input ? input.upload : null;
      const inputReference = upload
        ? await storeInputReference(app.deps, tenant, id, upload, body.size)
        : input && 'image_url' in input
          ? { kind: 'url' as const, url: input.image_url }
          : input && 'file_id' in input
            ? { kind: 'file_id' as const, fileId: input.file_id }
            : null;
      const record = newRecord({
        id,
        tenant,
        body,
        inputReference,
        pricePerSecond: check.pricePerSecond,
        idempotencyKey,
        deadlineMs: app.deps.jobDeadlineMs,
      });
      const submitted = await submitVideo(app.deps, record, () => requestHash(request.body)).catch(
        async (error) => {
          if (inputReference?.kind === 'upload')
            await deleteOutputs(app.deps, [inputReference.key]).catch(() => {});
          throw error;
        },
      );
      const { record: saved, replayed } = submitted;
      // Debug only (a no-op at the default level on this hot path); the prompt is censored unless LOG_PROMPTS.
      request.log.debug({ tenant, videoId: saved.id, replayed, prompt: saved.prompt }, 'video created');
      if (replayed) {
        reply.header('idempotent-replayed', 'true');
        // The first request stored its own upload under its own id; this one's copy is not needed.
        if (upload && inputReference?.kind === 'upload') void deleteOutputs(app.deps, [inputReference.key]);
      }
      // No queue position in the create answer: it costs a Redis round trip on the hottest path, and a
      // job that was just queued has nothing useful to say yet. Retrieve reports it.
      return present(saved, false);
    },
  );

  app.get(
    '/videos',
    {
      schema: {
        hide,
        summary: 'List videos, newest first by default',
        querystring: listVideosQuery,
        response: hide ? undefined : { 200: videoList, ...errors },
      },
    },
    async (request) => {
      const { records, hasMore } = await store.list(request.principal.tenant, request.query);
      const data = await Promise.all(records.map((record) => present(record)));
      return {
        object: 'list' as const,
        data,
        first_id: records[0]?.id ?? null,
        last_id: records.at(-1)?.id ?? null,
        has_more: hasMore,
      };
    },
  );

  app.get(
    '/videos/:video_id',
    {
      schema: {
        hide,
        summary: 'Retrieve a video',
        params: videoParams,
        response: hide ? undefined : { 200: videoObject, ...errors },
      },
    },
    async (request) => present(await load(request.principal.tenant, request.params.video_id)),
  );

  app.delete(
    '/videos/:video_id',
    {
      schema: {
        hide,
        summary: 'Delete a finished video and its stored outputs',
        params: videoParams,
        response: hide ? undefined : { 200: videoDeleted, ...errors },
      },
    },
    async (request) => {
      const { tenant } = request.principal;
      const record = await load(tenant, request.params.video_id);
      if (!TERMINAL_STATUSES.has(record.status)) {
        throw apiErrors.invalidState(
          `Video ${record.id} is ${record.status}; only completed, failed or canceled videos can be deleted (cancel it first).`,
        );
      }
      const keys = record.outputs.map((o) => o.key);
      if (record.inputReference?.kind === 'upload') keys.push(record.inputReference.key);
      await deleteOutputs(app.deps, keys);
      const { deleted, status } = await store.delete(tenant, record.id);
      if (!deleted && status === null) throw apiErrors.notFound('video', record.id, 'video_id');
      if (deleted) await app.deps.webhooks.log.forget(tenant, record.id).catch(() => {});
      if (!deleted)
        throw apiErrors.invalidState(`Video ${record.id} is ${status}; it cannot be deleted now.`);
      return { id: record.id, object: 'video.deleted' as const, deleted: true as const };
    },
  );

  app.post(
    '/videos/:video_id/cancel',
    {
      schema: {
        hide,
        summary: 'Cancel a video job',
        description:
          'Queued: canceled at once and never sent to a provider. In flight: marked cancel_requested; the worker cancels at the provider where supported, then the video becomes canceled.',
        params: videoParams,
        response: hide ? undefined : { 200: videoObject, ...errors },
      },
    },
    async (request) => {
      const { tenant } = request.principal;
      const record = await load(tenant, request.params.video_id);
      if (TERMINAL_STATUSES.has(record.status)) {
        throw apiErrors.invalidState(`Video ${record.id} is already ${record.status}.`);
      }
      if (record.status === 'queued') {
        const result = await store.transition(
          tenant,
          record.id,
          'cancelQueued',
          {
            step: record.webhookUrl ? 'notify' : 'done',
            cancelRequested: true,
            completedAt: Date.now(),
          },
          { read: true },
        );
        if (result.applied) {
          // The canceled event goes out from here; should that fail, the render job (still queued) makes
          // a worker send it instead, so the job is only removed once the event is handed over.
          const notified = await app.deps.webhooks.notifier
            .terminal(tenant, record.id)
            .then(() => true)
            .catch((error: Error) => {
              request.log.warn(
                { err: error.message, tenant, videoId: record.id },
                'cancel: webhook left to the worker',
              );
              return false;
            });
          // Best effort: a job a worker has already locked stays, and the worker drops it on seeing the status.
          if (notified) await queue.remove(record.id).catch(() => 0);
          return present((await store.get(tenant, record.id)) ?? result.record ?? record);
        }
      }
      const result = await store.transition(
        tenant,
        record.id,
        'requestCancel',
        { cancelRequested: true },
        { read: true },
      );
      if (!result.applied) {
        if (result.previous && TERMINAL_STATUSES.has(result.previous)) {
          throw apiErrors.invalidState(`Video ${record.id} is already ${result.previous}.`);
        }
        throw new ApiError(409, 'invalid_state', `Video ${record.id} changed state; retry the cancel.`);
      }
      return present(result.record ?? record);
    },
  );

  app.get(
    '/videos/:video_id/content',
    {
      schema: {
        hide,
        summary: 'Download the video, thumbnail or spritesheet',
        description:
          'Streams the stored file (Range supported), or redirects to a presigned URL when the api runs with CONTENT_DELIVERY=redirect. An error until the video is completed.',
        params: videoParams,
        querystring: contentQuery,
      },
    },
    async (request, reply) => {
      const record = await load(request.principal.tenant, request.params.video_id);
      // Shell clients (curl without -L) cannot follow a redirect: the gateway flavor always streams.
      return sendContent(app.deps, request, reply, record, request.query.variant, flavor === 'newapi');
    },
  );

  app.get(
    '/videos/:video_id/events',
    {
      schema: {
        hide,
        summary: 'Server-sent events of status and progress until the video is finished',
        params: videoParams,
      },
    },
    async (request, reply) => {
      const record = await load(request.principal.tenant, request.params.video_id);
      // Fastify answers HEAD with this handler: the headers of a stream, not a stream that would stay
      // open (body-less) until the video finished.
      if (request.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').send();
      return streamEvents(app.deps, request, reply, record, present, streams);
    },
  );
}

/** Keys are opaque to us; bound their size since they are hashed and stored for a day. */
function readIdempotencyKey(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  const key = Array.isArray(value) ? value[0] : value;
  if (!key || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ApiError(400, 'invalid_request', 'Idempotency-Key must be 1-255 visible ASCII characters.', {
      param: 'Idempotency-Key',
    });
  }
  return key;
}
