export { videoFolder, videoObjectKey } from './layout.ts';
export {
  createS3,
  createS3FromEnv,
  ensureBucket,
  headBucket,
  presignGet,
  type S3Config,
  type S3Env,
} from './s3.ts';
export { type StoredObject, type StreamUploadOptions, TruncatedStreamError, uploadStream } from './upload.ts';
