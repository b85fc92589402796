import { MAX_WEBHOOK_PAYLOAD_BYTES, type VideoWebhookPayload, type WebhookEvent } from '@reelay/contracts';
import { toVideoObject, type VideoRecord } from '@reelay/jobs';

/**
 * The body of one delivery: `{type, timestamp, data}` with the video as the API shows it and a fresh
 * download link. Capped at 64 KB: a long prompt is cut (the API still has it whole); metadata is capped
 * by validation and outputs are a few short entries, so the prompt is the only thing that can grow.
 */
export function buildPayload(
  record: VideoRecord,
  event: WebhookEvent,
  occurredAt: number,
  downloadUrl: string | null,
): string {
  const payload: VideoWebhookPayload = {
    type: event,
    timestamp: new Date(occurredAt).toISOString(),
    data: { ...toVideoObject(record), download_url: downloadUrl },
  };
  let body = JSON.stringify(payload);
  let prompt = payload.data.prompt;
  // JSON escaping makes a prompt's share of the body larger than its own bytes (quotes, newlines), so
  // cut, measure again, and cut more until it fits (two rounds at most in practice).
  for (let excess = Buffer.byteLength(body) - MAX_WEBHOOK_PAYLOAD_BYTES; excess > 0 && prompt.length > 0; ) {
    // The prompt's encoded size has to shrink by `excess` (+ room for the marker); keep that share of
    // its raw bytes.
    const encoded = Buffer.byteLength(JSON.stringify(prompt));
    const keep = Math.max(0, Math.floor((Buffer.byteLength(prompt) * (encoded - excess - 64)) / encoded));
    // A multi-byte character cut in half decodes to U+FFFD: drop it.
    prompt = Buffer.from(prompt)
      .subarray(0, keep)
      .toString('utf8')
      .replace(/\uFFFD+$/, '');
    payload.data.prompt = `${prompt}…[truncated]`;
    body = JSON.stringify(payload);
    excess = Buffer.byteLength(body) - MAX_WEBHOOK_PAYLOAD_BYTES;
  }
  return body;
}
