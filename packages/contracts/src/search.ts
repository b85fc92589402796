import { z } from 'zod';
import { pageLimit, VIDEO_STATUSES, videoId, videoObject } from './videos.ts';

// GET /admin/videos: the ops search over every tenant's videos. Query values arrive as strings.

const unixSeconds = (name: string) =>
  z
    .string()
    .regex(/^\d{1,11}$/, { error: `${name} must be a unix time in seconds` })
    .transform(Number)
    .optional()
    .describe(`unix seconds`);

export const searchVideosQuery = z
  .strictObject({
    id: videoId.optional(),
    // The alphabet of tenant ids (TENANT_ID in @reelay/tenants).
    tenant: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'tenant must be 1-63 of a-z 0-9 _ -' })
      .optional(),
    idempotency_key: z
      .string()
      .regex(/^[\x21-\x7e]{1,255}$/, { error: 'idempotency_key must be 1-255 visible ASCII characters' })
      .optional()
      .describe('the Idempotency-Key a create was sent with; needs tenant (keys are per tenant)'),
    provider_job_id: z
      .string()
      .min(1, { error: 'provider_job_id must not be empty' })
      .max(256, { error: 'provider_job_id is at most 256 characters' })
      .optional()
      .describe("the provider's job handle (reelay.provider_job_id), for 7 days after submission"),
    status: z
      .enum(VIDEO_STATUSES, { error: `status must be one of ${VIDEO_STATUSES.join(', ')}` })
      .optional(),
    created_after: unixSeconds('created_after').describe('created at or after (unix seconds)'),
    created_before: unixSeconds('created_before').describe('created before (unix seconds)'),
    limit: pageLimit,
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,200}$/, { error: 'cursor must be a next_cursor from a previous page' })
      .optional()
      .describe('next_cursor of the previous page (with the same filters)'),
  })
  .refine((q) => q.idempotency_key === undefined || q.tenant !== undefined, {
    error: 'idempotency_key needs tenant: idempotency keys are per tenant',
    path: ['tenant'],
  })
  .refine(
    (q) =>
      q.created_after === undefined || q.created_before === undefined || q.created_after < q.created_before,
    { error: 'created_before must be after created_after', path: ['created_before'] },
  );
export type SearchVideosQuery = z.infer<typeof searchVideosQuery>;

export const videoSearchList = z
  .object({
    object: z.literal('list'),
    data: z.array(videoObject),
    next_cursor: z
      .string()
      .nullable()
      .describe('pass as cursor for the next page; null when nothing more matches (a page may be short)'),
  })
  .meta({ id: 'VideoSearchList' });
