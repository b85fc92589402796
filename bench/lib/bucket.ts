import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3 } from '@reelay/storage';

/** Single deletes in flight at once, where a batch delete is refused. */
const PARALLEL_DELETES = 16;

/**
 * Empties a bench run's bucket (DeleteBucket refuses one that is not empty), incomplete multipart
 * uploads included: the pipeline bench stores every video, thumbnail and spritesheet, the webhook bench
 * ten thousand objects. Deletes a listed page per DeleteObjects request (one by one, s3rver manages about
 * 330 objects/s), falling back to single deletes on a server that refuses the batch without the
 * Content-MD5 the SDK no longer sends. Returns the number of objects deleted.
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
  let batches = true;
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
      if (batches && keys.length > 0) batches = await deleteBatch(s3, bucket, keys);
      if (!batches) await deleteOneByOne(s3, bucket, keys);
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

/** False when the server refused the batch (nothing deleted then); throws when some keys failed. */
async function deleteBatch(s3: S3Client, bucket: string, keys: string[]): Promise<boolean> {
  let answer: DeleteObjectsCommandOutput;
  try {
    answer = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
  } catch {
    return false;
  }
  const errors = answer.Errors ?? [];
  if (errors.length > 0) {
    throw new Error(`DeleteObjects: ${errors.length} failed, first ${errors[0]!.Key}: ${errors[0]!.Message}`);
  }
  return true;
}

async function deleteOneByOne(s3: S3Client, bucket: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += PARALLEL_DELETES) {
    await Promise.all(
      keys
        .slice(i, i + PARALLEL_DELETES)
        .map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
    );
  }
}
