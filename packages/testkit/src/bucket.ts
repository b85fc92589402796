import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
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
  // A client of its own rather than @reelay/storage's: storage's tests use this kit, and a package
  // cannot depend on what depends on it. Same settings as storage's createS3 for non-AWS servers.
  const s3 = new S3Client({
    endpoint: conf.endpoint,
    region: conf.region,
    forcePathStyle: true,
    credentials: { accessKeyId: conf.accessKeyId, secretAccessKey: conf.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = uniqueName('reelay-test');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
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
