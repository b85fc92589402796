export { createS3, ensureBucket, headBucket, type S3Config } from './s3.ts';
