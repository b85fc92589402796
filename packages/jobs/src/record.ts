import type { Priority, VideoOutput, VideoStatus, WebhookEvent } from '@reelay/contracts';

/** Where the caller's first frame is: a URL, a provider file id, or an upload Reelay stored in S3. */
export type InputReference =
  | { kind: 'url'; url: string }
  | { kind: 'file_id'; fileId: string }
  | { kind: 'upload'; key: string; contentType: string; bytes: number };

/** A video job as stored in Redis: one hash per job. Times are unix milliseconds. */
export interface VideoRecord {
  id: string;
  tenant: string;
  status: VideoStatus;
  /** 0..100 */
  progress: number;
  /** Pipeline step: queued, submit, poll, fetch, store, notify, done. */
  step: string;
  model: string;
  size: string;
  seconds: string;
  prompt: string;
  priority: Priority;
  metadata: Record<string, string>;
  /** Provider account requested by the caller, if any. */
  providerHint: string | null;
  /** Provider account actually used, once submitted. */
  provider: string | null;
  providerJobId: string | null;
  attempts: number;
  inputReference: InputReference | null;
  outputs: VideoOutput[];
  /** Estimated at creation from the catalog price; the actual charge once known. */
  costUsd: number;
  costEstimated: boolean;
  webhookUrl: string | null;
  webhookEvents: WebhookEvent[];
  webhookState: string;
  webhookAttempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  cancelRequested: boolean;
  idempotencyKey: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  expiresAt: number | null;
  remixedFrom: string | null;
  /** Pipeline bookkeeping (worker-owned). */
  /** Set just before a create POST; with no providerJobId after a crash, the worker reconciles. */
  submitStartedAt: number | null;
  /** When the provider accepted the job (render clock starts). */
  submittedAt: number | null;
  /** Provider-specific handle extras (JSON). */
  providerExtra: Record<string, string> | null;
  /** The job fails with `deadline_exceeded` after this: no job runs forever. */
  deadlineAt: number;
  /** Status polls sent to the provider for this job. */
  polls: number;
  /** Provider submissions (a second one only after the provider failed the first). */
  submissions: number;
  /** Consecutive transient failures of the current step (reset when the step moves on). */
  stepRetries: number;
  /**
   * Canceled or failed (deadline) while the provider was still rendering it: the provider may go on
   * (not every wire can cancel), so the worker keeps the account's concurrency slot and polls until the
   * provider ends the job; then the slot is free.
   */
  providerDraining: boolean;
}

const JSON_FIELDS = new Set<keyof VideoRecord>([
  'metadata',
  'inputReference',
  'outputs',
  'webhookEvents',
  'providerExtra',
]);
const NUMBER_FIELDS = new Set<keyof VideoRecord>([
  'progress',
  'attempts',
  'costUsd',
  'webhookAttempts',
  'createdAt',
  'updatedAt',
  'deadlineAt',
  'polls',
  'submissions',
  'stepRetries',
]);
const NULLABLE_NUMBER_FIELDS = new Set<keyof VideoRecord>([
  'completedAt',
  'expiresAt',
  'submitStartedAt',
  'submittedAt',
]);
const BOOLEAN_FIELDS = new Set<keyof VideoRecord>(['costEstimated', 'cancelRequested', 'providerDraining']);

/** Hash field/value pairs for HSET; `null` is stored as the empty string. */
export function toHash(record: Partial<VideoRecord>): string[] {
  const pairs: string[] = [];
  for (const [field, value] of Object.entries(record)) {
    if (value === undefined) continue;
    const key = field as keyof VideoRecord;
    let encoded: string;
    if (JSON_FIELDS.has(key)) encoded = value === null ? '' : JSON.stringify(value);
    else if (BOOLEAN_FIELDS.has(key)) encoded = value ? '1' : '0';
    else encoded = value === null ? '' : String(value);
    pairs.push(field, encoded);
  }
  return pairs;
}

/**
 * What a field holds until something sets it. A new record is stored without these (`createFields`):
 * a create writes ~15 hash fields instead of ~45, which keeps the create script's cost in Redis, and
 * the bytes on the wire, down on the api's hottest path. `fromHash` puts them back.
 */
export const UNSET = {
  progress: 0,
  providerHint: null,
  provider: null,
  providerJobId: null,
  attempts: 0,
  inputReference: null,
  webhookUrl: null,
  webhookAttempts: 0,
  errorCode: null,
  errorMessage: null,
  cancelRequested: false,
  idempotencyKey: null,
  completedAt: null,
  expiresAt: null,
  remixedFrom: null,
  submitStartedAt: null,
  submittedAt: null,
  providerExtra: null,
  polls: 0,
  submissions: 0,
  stepRetries: 0,
  providerDraining: false,
} as const satisfies Partial<VideoRecord>;
/** Empty collections: also left out of a new record, as fresh objects on every read. */
const EMPTY_ARRAYS = ['outputs', 'webhookEvents'] as const;

/** HSET field/values of a new record: `toHash` without the fields still at their unset value. */
export function createFields(record: VideoRecord): string[] {
  const set: Partial<VideoRecord> = {};
  for (const [field, value] of Object.entries(record) as Array<[keyof VideoRecord, unknown]>) {
    if (field in UNSET && (UNSET as Partial<VideoRecord>)[field] === value) continue;
    if ((EMPTY_ARRAYS as readonly string[]).includes(field) && (value as unknown[]).length === 0) continue;
    if (field === 'metadata' && Object.keys(value as object).length === 0) continue;
    (set as Record<string, unknown>)[field] = value;
  }
  return toHash(set);
}

export function fromHash(hash: Record<string, string>): VideoRecord | null {
  if (!hash.id) return null;
  const record: Record<string, unknown> = { ...UNSET, outputs: [], webhookEvents: [], metadata: {} };
  for (const [field, raw] of Object.entries(hash)) {
    const key = field as keyof VideoRecord;
    if (JSON_FIELDS.has(key)) record[field] = raw === '' ? null : JSON.parse(raw);
    else if (NUMBER_FIELDS.has(key)) record[field] = Number(raw);
    else if (NULLABLE_NUMBER_FIELDS.has(key)) record[field] = raw === '' ? null : Number(raw);
    else if (BOOLEAN_FIELDS.has(key)) record[field] = raw === '1';
    else record[field] = raw === '' ? null : raw;
  }
  return record as unknown as VideoRecord;
}
