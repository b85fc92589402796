export {
  BULLMQ_METRICS,
  METRICS,
  type MetricDefinition,
  type MetricKey,
  seriesNames,
} from './definitions.ts';
export { mergeExpositions, parseExposition, type Sample } from './exposition.ts';
export {
  createMetrics,
  type MetricsOptions,
  type ProviderReading,
  ReelayMetrics,
  statusClass,
} from './metrics.ts';
export {
  JOB_STATES,
  type JobStateName,
  type QueueReading,
  type RedisCommands,
  readQueue,
  type WatchedQueue,
} from './queues.ts';
