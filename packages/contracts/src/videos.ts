import { z } from 'zod';

// The /v1/videos wire as Reelay serves it: OpenAI's fields and statuses, plus `canceled`, plus Reelay's
// own fields inside the one `reelay` extension object. One schema per route shape; the api derives
// validation, TypeScript types and the OpenAPI document from these.

export const VIDEO_STATUSES = ['queued', 'in_progress', 'completed', 'failed', 'canceled'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<VideoStatus> = new Set(['completed', 'failed', 'canceled']);

export const WEBHOOK_EVENTS = [
  'video.completed',
  'video.failed',
  'video.canceled',
  'video.started',
  'video.progress',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const PRIORITIES = ['low', 'normal', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const VARIANTS = ['video', 'thumbnail', 'spritesheet'] as const;
export type Variant = (typeof VARIANTS)[number];

export const videoId = z.string().regex(/^video_[0-9a-f]{32}$/, {
  error: "must be a video id like 'video_0123...' (video_ and 32 hex digits)",
});

/** Metadata as OpenAI defines it elsewhere: up to 16 string pairs, keys <= 64 and values <= 512 chars. */
export const metadata = z
  .record(
    z
      .string()
      .min(1, { error: 'metadata keys must not be empty' })
      .max(64, { error: 'metadata keys are at most 64 characters' }),
    z
      .string({ error: 'metadata values must be strings' })
      .max(512, { error: 'metadata values are at most 512 characters' }),
  )
  .refine((value) => Object.keys(value).length <= 16, { error: 'metadata has at most 16 keys' });

/** An image uploaded in a multipart create, after the api has read it (at most the upload limit). */
// Strict: a multipart body with both the file and `input_reference[image_url]` must not pass as an
// upload with the URL silently dropped.
export const uploadedImage = z.strictObject({
  upload: z.object({
    filename: z.string(),
    mimetype: z.enum(['image/png', 'image/jpeg', 'image/webp'], {
      error: 'input_reference must be a PNG, JPEG or WebP image',
    }),
    data: z.instanceof(Buffer),
  }),
});

export const inputReference = z.union(
  [
    z.strictObject({ image_url: z.url({ protocol: /^https?$/, error: 'image_url must be an http(s) URL' }) }),
    z.strictObject({ file_id: z.string().min(1) }),
    uploadedImage,
  ],
  {
    error: 'input_reference must be an uploaded image, or an object with exactly one of image_url or file_id',
  },
);

export const createVideoBody = z
  .strictObject({
    prompt: z
      .string({ error: 'prompt is required and must be a string' })
      .min(1, { error: 'prompt must not be empty' })
      .max(32_000, { error: 'prompt is at most 32000 characters' }),
    model: z.string().min(1).max(128).default('sora-2'),
    seconds: z
      .enum(['4', '8', '12', '16', '20'], {
        error: "seconds must be one of the strings '4', '8', '12', '16', '20'",
      })
      .default('4'),
    size: z
      .string()
      .regex(/^\d{2,5}x\d{2,5}$/, { error: "size must be WIDTHxHEIGHT, e.g. '720x1280'" })
      .default('720x1280'),
    input_reference: inputReference.optional(),
    // Reelay extensions.
    webhook_url: z
      .url({ protocol: /^https?$/, error: 'webhook_url must be an http(s) URL' })
      .max(2048)
      .optional(),
    webhook_events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
    metadata: metadata.optional(),
    priority: z.enum(PRIORITIES).default('normal'),
    provider: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'provider must be a provider account id' })
      .optional(),
  })
  .meta({ id: 'CreateVideoRequest' });
export type CreateVideoBody = z.infer<typeof createVideoBody>;

export const videoOutput = z.object({
  variant: z.enum(VARIANTS),
  key: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  content_type: z.string(),
});
export type VideoOutput = z.infer<typeof videoOutput>;

export const reelayExtension = z
  .object({
    tenant: z.string(),
    provider: z.string().nullable().describe('provider account actually used'),
    provider_job_id: z.string().nullable(),
    model: z.string().describe('model actually used'),
    step: z.string().describe('current pipeline step: queued, submit, poll, fetch, store, notify, done'),
    attempts: z.number().int(),
    queue_position: z.number().int().nullable(),
    priority: z.enum(PRIORITIES),
    metadata: z.record(z.string(), z.string()),
    outputs: z.array(videoOutput),
    cost: z.object({ usd: z.number(), estimated: z.boolean() }),
    webhook: z
      .object({
        url: z.string(),
        events: z.array(z.enum(WEBHOOK_EVENTS)),
        state: z.string(),
        attempts: z.number().int(),
      })
      .nullable(),
    cancel_requested: z.boolean(),
  })
  .meta({ id: 'ReelayExtension' });

export const videoObject = z
  .object({
    id: z.string(),
    object: z.literal('video'),
    created_at: z.number().int(),
    status: z.enum(VIDEO_STATUSES),
    model: z.string(),
    progress: z.number().int(),
    seconds: z.string(),
    size: z.string(),
    prompt: z.string(),
    completed_at: z.number().int().nullable(),
    expires_at: z.number().int().nullable(),
    remixed_from_video_id: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    reelay: reelayExtension,
  })
  .meta({ id: 'Video' });
export type VideoObject = z.infer<typeof videoObject>;

/** `limit` of a paginated list: 1..100, default 20. */
export const pageLimit = z.coerce
  .number({ error: 'limit must be a number' })
  .int({ error: 'limit must be a whole number' })
  .min(1, { error: 'limit must be between 1 and 100' })
  .max(100, { error: 'limit must be between 1 and 100' })
  .default(20);

export const listVideosQuery = z.strictObject({
  limit: pageLimit,
  order: z.enum(['asc', 'desc'], { error: "order must be 'asc' or 'desc'" }).default('desc'),
  after: videoId.optional(),
});
export type ListVideosQuery = z.infer<typeof listVideosQuery>;

export const videoList = z
  .object({
    object: z.literal('list'),
    data: z.array(videoObject),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
    has_more: z.boolean(),
  })
  .meta({ id: 'VideoList' });

export const videoDeleted = z
  .object({ id: z.string(), object: z.literal('video.deleted'), deleted: z.literal(true) })
  .meta({ id: 'VideoDeleted' });

export const videoParams = z.strictObject({ video_id: videoId });

export const contentQuery = z.strictObject({
  variant: z
    .enum(VARIANTS, { error: "variant must be 'video', 'thumbnail' or 'spritesheet'" })
    .default('video'),
});
