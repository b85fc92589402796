import { Webhook } from 'standardwebhooks';

// One Webhook instance per secret: its constructor base64-decodes the key.
const signers = new Map<string, Webhook>();

function signer(secret: string): Webhook {
  let webhook = signers.get(secret);
  if (!webhook) {
    if (signers.size > 1_000) signers.clear();
    webhook = new Webhook(secret);
    signers.set(secret, webhook);
  }
  return webhook;
}

export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * Standard Webhooks v1 headers for one message: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per
 * secret, space-separated (a receiver accepts the message if any of them verifies: that is rotation).
 */
export function signMessage(
  secrets: readonly string[],
  messageId: string,
  at: Date,
  body: string,
): SignedHeaders {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => signer(secret).sign(messageId, at, body)).join(' '),
  };
}
