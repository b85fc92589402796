import { type WebhookPayload, webhookPayload } from '@reelay/contracts';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

/** Node's `req.headers`, a fetch `Headers`, or any plain record of them. */
export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

/**
 * The message is authentic (its signature verified) but its body is not a payload this client knows,
 * e.g. an event type added to the server later. Answer 2xx to such a message if you do not want it
 * retried for a day; `payload` holds the parsed JSON, or undefined if it was not JSON.
 */
export class WebhookPayloadError extends Error {
  override name = 'WebhookPayloadError';
  readonly payload: unknown;

  constructor(message: string, payload: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.payload = payload;
  }
}

/**
 * Verifies a Reelay webhook (Standard Webhooks v1) and returns its typed payload.
 *
 * - `rawBody` must be the bytes exactly as received: a body parsed and serialized again no longer
 *   matches its signature (in Express use `express.raw()`, in Fastify a raw-body content parser).
 * - `secret` is the `whsec_...` signing secret; during a rotation pass both (old and new): a message
 *   signed with either is accepted.
 * - Throws `WebhookVerificationError` for missing headers, a signature that matches none of the
 *   secrets, or a timestamp more than 5 minutes off (replays); `WebhookPayloadError` for an authentic
 *   body that does not parse as a known payload.
 *
 * Deduplicate on the `webhook-id` header: it is the same on every retry of one event.
 */
export function verifyWebhook(
  rawBody: string | Buffer,
  headers: WebhookHeaders,
  secret: string | readonly string[],
): WebhookPayload {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new TypeError('verifyWebhook needs at least one secret.');
  const flat = flattenHeaders(headers);
  let failure: unknown;
  let verified = false;
  for (const one of secrets) {
    try {
      // jsonParse off: the body is parsed once below, with the schema.
      new Webhook(one).verify(rawBody, flat, { jsonParse: false });
      verified = true;
      break;
    } catch (error) {
      // Only the signature check depends on the secret; any other error (a malformed secret) is the
      // caller's configuration and is thrown as is.
      if (!(error instanceof WebhookVerificationError)) throw error;
      failure = error;
    }
  }
  if (!verified) throw failure;

  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new WebhookPayloadError('The webhook body is not JSON.', undefined, { cause });
  }
  const parsed = webhookPayload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new WebhookPayloadError(
      `The webhook body is not a known Reelay payload${where}: ${issue?.message ?? 'invalid'}.`,
      json,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

function flattenHeaders(headers: WebhookHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      flat[name] = value;
    });
    return flat;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    // Several signature header lines are one space-separated list of signatures.
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(' ') : value;
  }
  return flat;
}
