import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type IsolatedBucket, isolatedBucket } from '@reelay/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TruncatedStreamError, uploadStream } from './upload.ts';

/** A deterministic body of `size` bytes in 64 KiB chunks, optionally failing after `failAt` bytes. */
function body(size: number, failAt?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAt !== undefined && sent >= failAt) {
        this.destroy(new Error('socket hang up'));
        return;
      }
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(65_536, size - sent);
      const chunk = Buffer.alloc(n, sent % 251);
      sent += n;
      this.push(chunk);
    },
  });
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('uploadStream', () => {
  let bucket: IsolatedBucket;
  beforeAll(async () => {
    bucket = await isolatedBucket();
  });
  afterAll(() => bucket.cleanup());

  it('stores a multipart body and reports its size and sha256', async () => {
    const size = 12 * 1024 * 1024 + 123;
    const stored = await uploadStream(bucket.s3, {
      bucket: bucket.bucket,
      key: 'a/video.mp4',
      body: body(size),
      contentType: 'video/mp4',
      expectedBytes: size,
      partSize: 5 * 1024 * 1024,
    });
    expect(stored.bytes).toBe(size);
    const object = await bucket.s3.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: 'a/video.mp4' }));
    expect(object.ContentLength).toBe(size);
    expect(object.ContentType).toBe('video/mp4');
    expect(await sha256Of(object.Body as Readable)).toBe(stored.sha256);
    expect(stored.sha256).toBe(await sha256Of(body(size)));
  });

  it('rejects a body shorter than announced and stores nothing', async () => {
    const upload = uploadStream(bucket.s3, {
      bucket: bucket.bucket,
      key: 'b/short.mp4',
      body: body(6 * 1024 * 1024),
      contentType: 'video/mp4',
      expectedBytes: 7 * 1024 * 1024,
      partSize: 5 * 1024 * 1024,
    });
    await expect(upload).rejects.toBeInstanceOf(TruncatedStreamError);
    const listed = await bucket.s3.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: 'b/' }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('aborts the multipart upload when the source fails midway', async () => {
    // A spy on the commands sent: s3rver does not implement ListMultipartUploads, MinIO and AWS do.
    const sent: string[] = [];
    bucket.s3.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const upload = uploadStream(bucket.s3, {
      bucket: bucket.bucket,
      key: 'c/cut.mp4',
      body: body(20 * 1024 * 1024, 11 * 1024 * 1024),
      contentType: 'video/mp4',
      partSize: 5 * 1024 * 1024,
    });
    await expect(upload).rejects.toThrow('socket hang up');
    const listed = await bucket.s3.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: 'c/' }));
    expect(listed.KeyCount ?? 0).toBe(0);
    bucket.s3.middlewareStack.remove('recordCommands');
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('AbortMultipartUploadCommand');
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    const pending = await bucket.s3
      .send(new ListMultipartUploadsCommand({ Bucket: bucket.bucket }))
      .catch((error: Error) => (error.name === 'NotImplemented' ? null : Promise.reject(error)));
    if (pending) expect(pending.Uploads ?? []).toHaveLength(0);
  });
});
