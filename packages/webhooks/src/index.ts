export { type EndpointState, Endpoints, endpointOf } from './endpoints.ts';
export { netPolicyFromEnv, webhookNetSection, webhookWorkerSection } from './env.ts';
export { createGuardedSend } from './http.ts';
export { WebhookKeys } from './keys.ts';
export { type AttemptOutcome, type DeliveryAttempt, DeliveryLog, type ErrorClass } from './log.ts';
export { terminalEvent, WebhookNotifier } from './notifier.ts';
export { buildPayload } from './payload.ts';
export {
  createWebhookQueue,
  messageId,
  WEBHOOK_JOB_OPTIONS,
  WEBHOOK_QUEUE,
  type WebhookJobData,
  wakeDelivery,
  webhookJobData,
} from './queue.ts';
export {
  DEFAULT_RETRY_SCHEDULE,
  parseDuration,
  parseRetryAfter,
  parseSchedule,
  type RetryPolicy,
  retryDelay,
} from './schedule.ts';
export { newWebhookSecret, type TenantSecret, WebhookSecrets } from './secrets.ts';
export {
  type DeliveryObserver,
  type DeliveryResult,
  type HttpAnswer,
  type HttpSend,
  type SenderDeps,
  type SenderOptions,
  WebhookSender,
} from './sender.ts';
export { type SignedHeaders, signMessage } from './sign.ts';
export { sendTestEvent } from './test-event.ts';
export { createWebhookWorker, type WebhookWorkerOptions } from './worker.ts';
