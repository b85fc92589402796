export { EventHub } from './events.ts';
export { newVideoId, videoIdFloor, videoIdTime } from './ids.ts';
export { Keys } from './keys.ts';
export { toVideoObject } from './present.ts';
export {
  bullPrefix,
  createRenderQueue,
  enqueueRender,
  queuePosition,
  RENDER_JOB,
  RENDER_QUEUE,
  type RenderJobData,
  renderJobData,
  renderJobOptions,
} from './queue.ts';
export type { InputReference, VideoRecord } from './record.ts';
export { keyHash, requestHash } from './request-hash.ts';
export { SEARCH_SCAN_BUDGET, searchVideos, type VideoSearch, type VideoSearchPage } from './search.ts';
export { type CreateResult, type ListOptions, type VideoEvent, VideoStore } from './store.ts';
export { type NewVideo, newRecord, submitVideo } from './submit.ts';
export { DELETABLE, TRANSITIONS, type TransitionName } from './transitions.ts';
export { WorkerHeartbeats } from './workers.ts';
