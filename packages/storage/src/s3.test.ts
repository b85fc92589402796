import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { infra, uniqueName } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { createS3, ensureBucket } from './s3.ts';

describe('ensureBucket', () => {
  it('creates a bucket once and is idempotent, also under concurrent callers', async () => {
    const s3 = createS3(infra().s3);
    const bucket = uniqueName('reelay-ensure');
    await Promise.all([ensureBucket(s3, bucket), ensureBucket(s3, bucket), ensureBucket(s3, bucket)]);
    await ensureBucket(s3, bucket);
    const head = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    s3.destroy();
  });
});
