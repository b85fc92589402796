// Every Reelay metric, in one place: name, help, labels, buckets, and the process that exports it.
// infra/grafana and infra/prometheus are checked against this file (definitions.test.ts), so a
// dashboard or an alert cannot name a metric that does not exist. Names follow Prometheus'
// conventions: base units (seconds, bytes), `_total` on counters.

export interface MetricDefinition {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly name: `reelay_${string}`;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histograms only: upper bounds in the metric's unit. */
  readonly buckets?: readonly number[];
  /** The process whose `/metrics` shows it. */
  readonly service: 'api' | 'worker';
}

/** Short network calls: a Redis-backed step, a provider request, a webhook POST. */
const FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A step may stream a whole video into S3 (minutes for gigabytes). */
const STEP = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const UPLOAD = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export const METRICS = {
  // --- queues (read from BullMQ at scrape time) -------------------------------------------------------
  queueJobs: {
    type: 'gauge',
    name: 'reelay_queue_jobs',
    help: 'Jobs in each BullMQ queue ({videos}, {webhooks}) by state, read at scrape time.',
    labelNames: ['queue', 'state'],
    service: 'worker',
  },
  queueOldestAge: {
    type: 'gauge',
    name: 'reelay_queue_oldest_job_age_seconds',
    help: 'Age (since it was added) of the oldest job ready to run, by state (waiting, prioritized); 0 when none.',
    labelNames: ['queue', 'state'],
    service: 'worker',
  },
  queueOverdue: {
    type: 'gauge',
    name: 'reelay_queue_delayed_overdue_seconds',
    help: 'How long ago the earliest delayed job became due without a worker taking it; 0 when none is due.',
    labelNames: ['queue'],
    service: 'worker',
  },
  queueStalled: {
    type: 'counter',
    name: 'reelay_queue_stalled_jobs_total',
    help: 'Active jobs whose worker stopped renewing the lock (killed, frozen) and that were taken back.',
    labelNames: ['queue'],
    service: 'worker',
  },

  // --- the render pipeline ----------------------------------------------------------------------------
  stepDuration: {
    type: 'histogram',
    name: 'reelay_step_duration_seconds',
    help: 'One run of a render job by the step its record was on (submit, poll, fetch, notify) and how it ended (scheduled, done, error).',
    labelNames: ['step', 'outcome'],
    buckets: STEP,
    service: 'worker',
  },
  videosFinished: {
    type: 'counter',
    name: 'reelay_videos_finished_total',
    help: 'Videos that reached a terminal status in a worker (completed, failed, canceled), by model.',
    labelNames: ['status', 'model'],
    service: 'worker',
  },
  cost: {
    type: 'counter',
    name: 'reelay_cost_usd_total',
    help: 'Spend in USD of completed videos (the provider charge when reported, else the catalog estimate).',
    labelNames: ['tenant', 'model'],
    service: 'worker',
  },

  // --- providers --------------------------------------------------------------------------------------
  providerRequests: {
    type: 'counter',
    name: 'reelay_provider_requests_total',
    help: 'HTTP requests to provider accounts by operation (create, retrieve, list, content) and status (the code, or "error" when no answer came).',
    labelNames: ['account', 'op', 'status'],
    service: 'worker',
  },
  providerDuration: {
    type: 'histogram',
    name: 'reelay_provider_request_duration_seconds',
    help: 'Provider request latency (whole answer for JSON calls, headers for content downloads) by status class (2xx, 4xx, 5xx, error).',
    labelNames: ['account', 'op', 'status_class'],
    buckets: FAST,
    service: 'worker',
  },
  providerRateLimited: {
    type: 'counter',
    name: 'reelay_provider_rate_limited_total',
    help: 'HTTP 429 answers from each provider account.',
    labelNames: ['account'],
    service: 'worker',
  },
  providerInFlight: {
    type: 'gauge',
    name: 'reelay_provider_in_flight',
    help: 'Renders holding a concurrency slot on the account, across all workers (read from Redis at scrape time).',
    labelNames: ['account'],
    service: 'worker',
  },
  providerCap: {
    type: 'gauge',
    name: 'reelay_provider_concurrency_cap',
    help: 'Configured concurrency cap of the account (PROVIDER_ACCOUNTS concurrency).',
    labelNames: ['account'],
    service: 'worker',
  },
  providerEffectiveRpm: {
    type: 'gauge',
    name: 'reelay_provider_effective_rpm',
    help: 'Request budget per minute the limiter currently allows the account (halved on each 429, restored 10% a quiet minute).',
    labelNames: ['account'],
    service: 'worker',
  },

  // --- storage ----------------------------------------------------------------------------------------
  storedBytes: {
    type: 'counter',
    name: 'reelay_storage_uploaded_bytes_total',
    help: 'Bytes of finished outputs streamed into S3, by variant (video, thumbnail, spritesheet).',
    labelNames: ['variant'],
    service: 'worker',
  },
  uploadDuration: {
    type: 'histogram',
    name: 'reelay_storage_upload_duration_seconds',
    help: 'Time to stream one output from the provider into S3 (download and upload are one stream), by variant.',
    labelNames: ['variant'],
    buckets: UPLOAD,
    service: 'worker',
  },

  // --- webhooks ---------------------------------------------------------------------------------------
  webhookAttempts: {
    type: 'counter',
    name: 'reelay_webhook_attempts_total',
    help: 'Webhook delivery attempts by event and outcome (delivered, retrying, failed = gave up, gone = 410).',
    labelNames: ['event', 'outcome'],
    service: 'worker',
  },
  webhookDuration: {
    type: 'histogram',
    name: 'reelay_webhook_attempt_duration_seconds',
    help: 'Duration of one webhook POST (until the answer, the timeout or the error), by outcome.',
    labelNames: ['outcome'],
    buckets: FAST,
    service: 'worker',
  },

  // --- Redis ------------------------------------------------------------------------------------------
  redisNoEviction: {
    type: 'gauge',
    name: 'reelay_redis_noeviction',
    help: '1 when Redis maxmemory-policy is noeviction (required: an evicting Redis loses jobs), 0 otherwise; read at scrape time.',
    labelNames: [],
    service: 'worker',
  },

  // --- the api ----------------------------------------------------------------------------------------
  httpRequests: {
    type: 'counter',
    name: 'reelay_http_requests_total',
    help: 'API requests by method, route pattern (e.g. /v1/videos/:id; "unmatched" for 404s without a route) and status code.',
    labelNames: ['method', 'route', 'status'],
    service: 'api',
  },
  httpDuration: {
    type: 'histogram',
    name: 'reelay_http_request_duration_seconds',
    help: 'API request latency by method, route pattern and status class.',
    labelNames: ['method', 'route', 'status_class'],
    buckets: FAST,
    service: 'api',
  },

  // --- the exporter itself ----------------------------------------------------------------------------
  collectErrors: {
    type: 'counter',
    name: 'reelay_metrics_collect_errors_total',
    help: 'Scrape-time reads that failed (Redis away): their gauges are left out of that scrape.',
    labelNames: ['collector'],
    service: 'worker',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/**
 * Families BullMQ's own exporter (`Queue.exportPrometheusMetrics`) adds to the worker's `/metrics`,
 * labelled `queue` (and `state` for the count).
 */
export const BULLMQ_METRICS = ['bullmq_job_count', 'bullmq_job_completed_total', 'bullmq_job_failed_total'];

/** Every series name a family exposes: a histogram's `_bucket`, `_sum` and `_count`. */
export function seriesNames(definition: MetricDefinition): string[] {
  return definition.type === 'histogram'
    ? ['_bucket', '_sum', '_count'].map((suffix) => `${definition.name}${suffix}`)
    : [definition.name];
}
