// One-shot `hash` rather than createHash().update().digest(): these run on every create, and the
// one-shot form costs less than half as much for short inputs.
import { hash } from 'node:crypto';

/**
 * A stable fingerprint of a create request, used to tell "the same request again" (replay the original
 * answer) from "a different request under the same idempotency key" (422). Object keys are sorted so
 * that JSON and multipart forms of the same request match; uploaded files count by their sha256.
 */
export function requestHash(value: unknown): string {
  return hash('sha256', canonical(value));
}

function canonical(value: unknown): string {
  if (Buffer.isBuffer(value)) return JSON.stringify(`sha256:${hash('sha256', value)}`);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Idempotency keys are stored by hash: their text may be anything up to 255 characters. */
export function keyHash(key: string): string {
  return hash('sha256', key).slice(0, 40);
}
