export { videoFolder, videoObjectKey } from './layout.ts';
export { createS3, ensureBucket, headBucket, type S3Config } from './s3.ts';
export { type StoredObject, type StreamUploadOptions, TruncatedStreamError, uploadStream } from './upload.ts';
