import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  ListObjectsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3 } from '@reelay/storage';

/** Single deletes in flight at once, where a batch delete is refused. */
const PARALLEL_DELETES = 16;

/**
 * Empties the run's bucket, like pipeline-bucket.ts's emptyBucket with two differences a bench storing
 * ten thousand objects needs: it pages with ListObjects (v1, `Marker` = the last key seen), which needs
 * no continuation token (s3rver 3.7's ListObjectsV2 failed past 1,000 objects until patches/ replaced
 * its DES tokens, which Node 24's OpenSSL 3 lacks; v1 works on either); and it deletes a page per
 * DeleteObjects request (one by one: about 330 objects/s, half a minute for a default run), falling back
 * to single deletes on a server that refuses the batch without a Content-MD5.
 */
export async function emptyLargeBucket(s3Env: Record<string, string>): Promise<number> {
  const bucket = s3Env.S3_BUCKET!;
  const s3 = createS3({
    endpoint: s3Env.S3_ENDPOINT!,
    region: s3Env.S3_REGION ?? 'us-east-1',
    accessKeyId: s3Env.S3_ACCESS_KEY_ID!,
    secretAccessKey: s3Env.S3_SECRET_ACCESS_KEY!,
  });
  let deleted = 0;
  let batches = true;
  try {
    let marker: string | undefined;
    for (;;) {
      const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Marker: marker }));
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
      if (batches && keys.length > 0) batches = await deleteBatch(s3, bucket, keys);
      if (!batches) await deleteOneByOne(s3, bucket, keys);
      deleted += keys.length;
      if (!page.IsTruncated || keys.length === 0) break;
      marker = page.NextMarker ?? keys[keys.length - 1];
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
