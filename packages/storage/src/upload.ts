import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** The body ended before the size it announced: a cut download. Safe to retry from the start. */
export class TruncatedStreamError extends Error {
  override readonly name = 'TruncatedStreamError';
  readonly expected: number;
  readonly received: number;

  constructor(expected: number, received: number) {
    super(`stream ended after ${received} of ${expected} bytes`);
    this.expected = expected;
    this.received = received;
  }
}

export interface StreamUploadOptions {
  bucket: string;
  key: string;
  body: Readable;
  contentType: string;
  /** When known (Content-Length): a body of any other size is rejected and nothing is stored. */
  expectedBytes?: number | undefined;
  /** @defaultValue 8 MiB (S3's minimum is 5 MiB) */
  partSize?: number;
  /** Parts in flight at once; memory held is about partSize x (queueSize + 1). @defaultValue 2 */
  queueSize?: number;
  signal?: AbortSignal;
}

export interface StoredObject {
  key: string;
  bytes: number;
  sha256: string;
}

/**
 * Streams a body into S3 (multipart above one part), counting and hashing it on the way, never holding
 * more than a few parts in memory. A failed or short body aborts the multipart upload, so no partial
 * object and no orphaned parts are left behind.
 */
export async function uploadStream(s3: S3Client, options: StreamUploadOptions): Promise<StoredObject> {
  const hash = createHash('sha256');
  let bytes = 0;
  const expected = options.expectedBytes;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
    // Runs before the end reaches the upload: a short body fails here, so its last part is never sent
    // and the object never completes.
    flush(done) {
      done(expected !== undefined && bytes !== expected ? new TruncatedStreamError(expected, bytes) : null);
    },
  });
  const body = new PassThrough();
  const upload = new Upload({
    client: s3,
    params: { Bucket: options.bucket, Key: options.key, Body: body, ContentType: options.contentType },
    partSize: options.partSize ?? 8 * 1024 * 1024,
    queueSize: options.queueSize ?? 2,
    leavePartsOnError: false,
  });
  const onAbort = () => options.body.destroy(new Error('upload aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // pipeline destroys every stream on the first error, so the upload sees the failure and aborts.
    const [fed, done] = await Promise.allSettled([pipeline(options.body, meter, body), upload.done()]);
    if (fed.status === 'rejected') throw fed.reason;
    if (done.status === 'rejected') throw done.reason;
  } catch (error) {
    await upload.abort().catch(() => {});
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { key: options.key, bytes, sha256: hash.digest('hex') };
}
