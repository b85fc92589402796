export { type BulkOptions, BulkStatus, DEFAULT_BULK_OPTIONS } from './bulk.ts';
export { type Estimate, RenderHistory } from './history.ts';
export type { LimitsPort, NotifyPort, PipelineObserver } from './ports.ts';
export { DEFAULT_POLL_POLICY, nextPollDelay, type PollPolicy, retryDelay } from './schedule.ts';
export {
  DEFAULT_PIPELINE_OPTIONS,
  type Next,
  type PipelineDeps,
  type PipelineOptions,
  RenderPipeline,
  WAITING_FOR_SLOT,
} from './steps.ts';
export { type Waiter, WaitingRoom } from './waiting-room.ts';
export { createRenderWorker, type RenderWorkerOptions } from './worker.ts';
