import { errorResponse, searchVideosQuery, videoSearchList } from '@reelay/contracts';
import { apiErrors } from '@reelay/errors';
import { searchVideos, toVideoObject } from '@reelay/jobs';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

const VIDEO_ID = /^video_[0-9a-f]{32}$/;

/** The cursor is the last id of the page, base64url-encoded: opaque to callers, free to change. */
const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!VIDEO_ID.test(id))
    throw apiErrors.invalid('cursor', 'cursor must be a next_cursor from a previous page.');
  return id;
}

/**
 * `GET /admin/videos`: find a job across tenants by id, idempotency key, provider job, tenant, status or
 * creation time. Registered inside the admin scope.
 */
export async function searchRoutes(instance: FastifyInstance): Promise<void> {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { store, tenants, apiKeys, catalog } = app.deps;
  // Provider jobs are claimed per account: a handle is looked up on every account that serves a model.
  const accounts = [...new Set([...catalog.models.values()].flatMap((capability) => capability.accounts))];
  // Tenants known from before the directory existed: their video indexes and their API keys.
  const discover = async () => [
    ...(await store.scanTenants()),
    ...(await apiKeys.list()).map((key) => key.tenant),
  ];

  app.get(
    '/videos',
    {
      schema: {
        summary: 'Search videos across tenants (ops)',
        description:
          'Every filter given must match. id, idempotency_key (with tenant) and provider_job_id are direct lookups; tenant, status and created_after/created_before read the newest videos first. Newest first; a page may hold fewer than limit videos while next_cursor is set (each request reads a bounded number of records): follow next_cursor until it is null. An unknown id is an empty list.',
        querystring: searchVideosQuery,
        response: { 200: videoSearchList, 400: errorResponse, 401: errorResponse, 403: errorResponse },
      },
    },
    async (request) => {
      const query = request.query;
      const page = await searchVideos(store, {
        tenants: query.tenant ? [query.tenant] : await tenants.list(discover),
        id: query.id,
        idempotencyKey: query.idempotency_key,
        providerJobId: query.provider_job_id,
        accounts,
        status: query.status,
        createdFrom: query.created_after === undefined ? undefined : query.created_after * 1000,
        createdBefore: query.created_before === undefined ? undefined : query.created_before * 1000,
        limit: query.limit,
        after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      });
      return {
        object: 'list' as const,
        data: page.records.map((record) => toVideoObject(record)),
        next_cursor: page.next === null ? null : encodeCursor(page.next),
      };
    },
  );
}
