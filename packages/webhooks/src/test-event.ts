import { randomUUID } from 'node:crypto';
import { WEBHOOK_TEST_EVENT } from '@reelay/contracts';
import { type Endpoints, endpointOf } from './endpoints.ts';
import type { DeliveryAttempt } from './log.ts';
import type { WebhookSecrets } from './secrets.ts';
import { type HttpSend, post, RESPONSE_KEEP } from './sender.ts';
import { signMessage } from './sign.ts';

/**
 * Sends a signed `webhook.test` message to `url` now, outside the queue, and reports the attempt: how a
 * caller checks its verification code, and how an operator checks an endpoint before re-enabling it
 * (a delivered test re-enables a disabled endpoint).
 */
export async function sendTestEvent(
  deps: { secrets: WebhookSecrets; endpoints: Endpoints; send: HttpSend; timeoutMs: number },
  tenant: string,
  url: string,
): Promise<DeliveryAttempt> {
  const messageId = `msg_test_${randomUUID().replaceAll('-', '')}`;
  const at = new Date();
  const body = JSON.stringify({
    type: WEBHOOK_TEST_EVENT,
    timestamp: at.toISOString(),
    data: { tenant, url, message: 'Test event from Reelay: verify its signature with your webhook secret.' },
  });
  const headers = signMessage(await deps.secrets.signing(tenant), messageId, at, body);
  const { answer, errorClass, error, durationMs } = await post(deps.send, url, headers, body, deps.timeoutMs);
  const ok = answer !== null && answer.status >= 200 && answer.status < 300;
  if (ok) await deps.endpoints.enable(endpointOf(url));
  return {
    message_id: messageId,
    event: WEBHOOK_TEST_EVENT,
    attempt: 1,
    resend: false,
    at: at.getTime(),
    url,
    status_code: answer?.status ?? null,
    duration_ms: Math.round(durationMs),
    error_class: ok ? null : (errorClass ?? 'http_status'),
    response: (answer ? answer.body : error).slice(0, RESPONSE_KEEP),
    outcome: ok ? 'delivered' : 'failed',
    next_attempt_at: null,
  };
}
