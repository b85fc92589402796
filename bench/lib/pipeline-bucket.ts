import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { createS3 } from '@reelay/storage';

/** Deletes in flight at once: enough to empty 900 objects in a second or two, not a flood. */
const PARALLEL_DELETES = 16;

/**
 * Empties the run's bucket (the workers stored every video, thumbnail and spritesheet in it, and
 * DeleteBucket refuses a bucket that is not empty), incomplete multipart uploads included. One object at a
 * time rather than DeleteObjects: that one needs a Content-MD5 some S3-protocol servers insist on and the
 * SDK no longer sends. Returns the number of objects deleted.
 */
export async function emptyBucket(s3Env: Record<string, string>): Promise<number> {
  const bucket = s3Env.S3_BUCKET!;
  const s3 = createS3({
    endpoint: s3Env.S3_ENDPOINT,
    region: s3Env.S3_REGION ?? 'us-east-1',
    accessKeyId: s3Env.S3_ACCESS_KEY_ID,
    secretAccessKey: s3Env.S3_SECRET_ACCESS_KEY,
  });
  let deleted = 0;
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
      for (let i = 0; i < keys.length; i += PARALLEL_DELETES) {
        await Promise.all(
          keys
            .slice(i, i + PARALLEL_DELETES)
            .map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
        );
      }
      deleted += keys.length;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket })).catch(() => null);
    for (const upload of uploads?.Uploads ?? []) {
      await s3
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))
        .catch(() => {});
    }
  } finally {
    s3.destroy();
  }
  return deleted;
}
