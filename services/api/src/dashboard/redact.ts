/** Keys whose values the dashboard never shows: prompts (customer content) and anything secret. */
export const REDACTED_KEY = /prompt|secret|token|password|authorization|api_?key/i;

export const REDACTED = '[redacted]';

/**
 * A copy of `value` with every property whose name matches {@link REDACTED_KEY} replaced by
 * `"[redacted]"`, at any depth (objects and arrays). Job data today holds only ids; this keeps a prompt
 * or a credential that ever lands in job data, a return value or progress off the ops screen.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  // Job data is JSON, so no cycles; the bound only protects the dashboard from a pathological payload.
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = REDACTED_KEY.test(key) ? REDACTED : redactSecrets(item, depth + 1);
  }
  return copy;
}
