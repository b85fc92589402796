import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { Variant } from '@reelay/contracts';
import { ApiError, apiErrors } from '@reelay/errors';
import type { InputReference, VideoRecord } from '@reelay/jobs';
import { imageInfo } from '@reelay/media';
import { presignGet, videoObjectKey } from '@reelay/storage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';

const EXTENSIONS = { png: 'png', jpeg: 'jpg', webp: 'webp' } as const;

/**
 * Checks an uploaded first frame the way the provider would (a real PNG/JPEG/WebP at exactly the
 * requested size) before anything is paid for, then stores it under the job's folder.
 */
export async function storeInputReference(
  deps: AppDeps,
  tenant: string,
  videoId: string,
  upload: { mimetype: string; data: Buffer },
  size: string,
): Promise<InputReference> {
  const info = imageInfo(upload.data);
  if (!info) {
    throw apiErrors.invalid('input_reference', 'input_reference is not a readable PNG, JPEG or WebP image.');
  }
  if (`${info.width}x${info.height}` !== size) {
    throw apiErrors.invalid(
      'input_reference',
      `input_reference is ${info.width}x${info.height} but size is ${size}; the reference image is the first frame and must match size exactly.`,
    );
  }
  const contentType = `image/${info.format}`;
  const key = videoObjectKey(tenant, videoId, `input_reference.${EXTENSIONS[info.format]}`);
  try {
    await deps.s3.send(
      new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: upload.data, ContentType: contentType }),
    );
  } catch (error) {
    throw new ApiError(503, 'unavailable', 'Storage is unavailable; retry the request.', {
      cause: error,
      headers: { 'retry-after': '1' },
    });
  }
  return { kind: 'upload', key, contentType, bytes: upload.data.length };
}

export async function deleteOutputs(deps: AppDeps, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await deps.s3.send(
    new DeleteObjectsCommand({
      Bucket: deps.bucket,
      Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
    }),
  );
}

/** Streams a stored output (honoring a single Range), or redirects to a presigned URL for it. */
export async function sendContent(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  record: VideoRecord,
  variant: Variant,
  forceStream: boolean,
): Promise<FastifyReply> {
  if (record.status !== 'completed') {
    const why =
      record.status === 'failed' || record.status === 'canceled'
        ? `Video ${record.id} is ${record.status}; it has no content.`
        : `Video ${record.id} is ${record.status}; content is available once it is completed.`;
    throw new ApiError(409, 'invalid_state', why, { param: 'video_id' });
  }
  const output = record.outputs.find((o) => o.variant === variant);
  if (!output)
    throw new ApiError(404, 'not_found', `Video ${record.id} has no ${variant}.`, { param: 'variant' });

  if (deps.contentDelivery === 'redirect' && !forceStream) {
    const url = await presignGet(deps.s3, deps.bucket, output.key, deps.presignTtlSeconds);
    return reply.redirect(url, 302);
  }

  const range = byteRange(request.headers.range, output.bytes);
  if (range === 'unsatisfiable')
    return reply.code(416).header('content-range', `bytes */${output.bytes}`).send();
  let object: GetObjectCommandOutput;
  try {
    object = await deps.s3.send(
      new GetObjectCommand({
        Bucket: deps.bucket,
        Key: output.key,
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 416) {
      return reply.code(416).header('content-range', `bytes */${output.bytes}`).send();
    }
    if (status === 404)
      throw new ApiError(404, 'not_found', `The stored ${variant} of ${record.id} is gone.`);
    throw error;
  }
  reply
    .code(object.ContentRange ? 206 : 200)
    .header('content-type', output.content_type)
    .header('accept-ranges', 'bytes')
    .header('content-disposition', `attachment; filename="${record.id}.${output.key.split('.').pop()}"`);
  if (object.ContentLength !== undefined) reply.header('content-length', object.ContentLength);
  if (object.ContentRange) reply.header('content-range', object.ContentRange);
  if (object.ETag) reply.header('etag', object.ETag);
  return reply.send(object.Body);
}

/**
 * The one byte range of a `Range` header (RFC 9110 14.1.2), resolved against the object's size: S3 then
 * always gets explicit `first-last` positions. A header this does not read (another unit, several
 * ranges, a malformed spec such as `bytes=1.5-`) is ignored, as the RFC allows: the whole object is
 * sent with 200. Before this the raw header went to S3, and one it could not parse was a 500.
 */
export function byteRange(
  header: string | string[] | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (typeof header !== 'string') return null;
  const spec = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!spec || (spec[1] === '' && spec[2] === '')) return null;
  const [first, last] = [spec[1] ? Number(spec[1]) : null, spec[2] ? Number(spec[2]) : null];
  if (first === null) {
    // `-N`: the last N bytes.
    if (last === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - last!), end: size - 1 };
  }
  if (last !== null && last < first) return null;
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: last === null ? size - 1 : Math.min(last, size - 1) };
}
