export {
  TERMINAL_STATUSES,
  type Variant,
  type VideoObject,
  type VideoOutput,
  type VideoStatus,
  type VideoWebhookPayload,
  type WebhookEvent,
  type WebhookPayload,
} from '@reelay/contracts';
export { ReelayClient, type ReelayClientOptions } from './client.ts';
export { type ClientErrorCode, ReelayError } from './errors.ts';
export type { SavedFile } from './file.ts';
export type { RequestOptions } from './http.ts';
export {
  verifyWebhook,
  type WebhookHeaders,
  WebhookPayloadError,
  WebhookVerificationError,
} from './verify.ts';
export type {
  CreateOptions,
  CreateVideoParams,
  DownloadOptions,
  ListParams,
  VideoContent,
  VideoDeleted,
  VideoList,
  Videos,
  WaitOptions,
} from './videos.ts';
