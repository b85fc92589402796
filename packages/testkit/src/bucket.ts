import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3, ensureBucket } from '@reelay/storage';
import { infra } from './infra.ts';
import { uniqueName } from './redis.ts';

export interface IsolatedBucket {
  bucket: string;
  s3: S3Client;
  /** The settings a service needs to reach this bucket (S3_* variables). */
  env: Record<string, string>;
  /** Empties and deletes the bucket. */
  cleanup(): Promise<void>;
}

export async function isolatedBucket(): Promise<IsolatedBucket> {
  const { s3: conf } = infra();
  const s3 = createS3(conf);
  const bucket = uniqueName('reelay-test');
  await ensureBucket(s3, bucket);
  return {
    bucket,
    s3,
    env: {
      S3_ENDPOINT: conf.endpoint,
      S3_REGION: conf.region,
      S3_ACCESS_KEY_ID: conf.accessKeyId,
      S3_SECRET_ACCESS_KEY: conf.secretAccessKey,
      S3_BUCKET: bucket,
    },
    async cleanup() {
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length > 0)
          await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      s3.destroy();
    },
  };
}
