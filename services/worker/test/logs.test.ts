import { Writable } from 'node:stream';
import { createLogger } from '@reelay/logger';
import { ApiKeyStore } from '@reelay/tenants';
import { waitFor } from '@reelay/testkit';
import { describe, expect, it } from 'vitest';
import { Receiver } from './receiver.ts';
import { type PipelineStack, startPipelineStack } from './stack.ts';

// A full run (simulator, api and worker in this process, real Redis and S3) with every log line of both
// processes captured at `trace`, then searched for what must never be there.

const PROMPT = 'zq-marker: a cormorant drying its wings on a pier';
const PROVIDER_KEY = 'sk-provider-logtest-9f8e7d6c5b4a';
const ALLOW = { WEBHOOK_ALLOW: '127.0.0.1' };

interface LogLine {
  service: string;
  msg: string;
  tenant?: string;
  videoId?: string;
  [field: string]: unknown;
}

/** api and worker loggers (as main.ts builds them, at trace) writing into one array. */
function capturedLoggers(logPrompts: boolean) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = (service: string) => createLogger({ service, level: 'trace', destination, logPrompts });
  return { loggers: { api: logger('api'), worker: logger('worker') }, lines };
}

async function start(logPrompts: boolean): Promise<{ stack: PipelineStack; lines: string[] }> {
  const { loggers, lines } = capturedLoggers(logPrompts);
  const stack = await startPipelineStack({
    api: ALLOW,
    worker: { ...ALLOW, WEBHOOK_RETRY_SCALE: '0.0005' },
    account: { apiKey: PROVIDER_KEY },
    loggers,
  });
  return { stack, lines };
}

const post = (stack: PipelineStack, path: string, body: unknown, bearer?: string) =>
  fetch(`${stack.api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer ?? stack.key}` },
    body: JSON.stringify(body),
  });

describe('logs', () => {
  it('never carry API keys, webhook secrets, provider keys or prompts; job lines carry tenant and videoId', async () => {
    const { stack, lines } = await start(false);
    const hook = await new Receiver().start();
    try {
      // Videos, one of them with a webhook delivered.
      const { id } = await stack.create({ prompt: PROMPT, webhook_url: hook.url });
      const other = await stack.createAs('beta', { prompt: `${PROMPT} (beta)` });
      expect((await stack.settle(id)).status).toBe('completed');
      expect((await stack.settle(other.id, 20_000, 'beta')).status).toBe('completed');
      await waitFor(() => hook.received.length >= 1, { timeoutMs: 10_000, what: 'the webhook' });

      // The tenant's webhook secret, read and rotated (both secrets sign for a while).
      const before = ((await (await stack.call('/v1/webhooks/secret')).json()) as { secret: string }).secret;
      const rotated = await post(stack, '/v1/webhooks/secret/rotate', { grace_seconds: 60 });
      const after = ((await rotated.json()) as { secret: string }).secret;
      expect([before, after].every((s) => s.startsWith('whsec_'))).toBe(true);

      // A failed authentication with a wrong key, and an API key created through the admin API.
      const wrongKey = 'rl_wrongKeyWrongKeyWrongKey0123456789ab';
      expect((await post(stack, '/v1/videos', { prompt: PROMPT }, wrongKey)).status).toBe(401);
      const admin = (
        await new ApiKeyStore(stack.redis.redis, stack.redis.prefix).create('ops', {
          scopes: ['admin'],
        })
      ).key;
      const created = await post(stack, '/admin/keys', { tenant: 'gamma', name: 'ci' }, admin);
      const newKey = ((await created.json()) as { key: string }).key;
      expect(newKey).toMatch(/^rl_/);
      expect((await post(stack, '/v1/videos', { prompt: 'x', model: 'nope' }, newKey)).status).toBe(400);
      const search = await fetch(`${stack.api.url}/admin/videos?id=${id}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(search.status).toBe(200);

      await stack.close();
      const text = lines.join('');
      for (const secret of [stack.key, admin, newKey, wrongKey, before, after, PROVIDER_KEY]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toContain('whsec_');
      expect(text).not.toContain('zq-marker');

      const parsed = lines.map((line) => JSON.parse(line) as LogLine);
      // The lines that would carry a prompt do exist, censored.
      const submitting = parsed.filter((l) => l.msg === 'submitting');
      expect(submitting.length).toBeGreaterThanOrEqual(2);
      expect(submitting.every((l) => l.prompt === '[redacted]')).toBe(true);
      expect(parsed.find((l) => l.msg === 'video created')).toMatchObject({ prompt: '[redacted]' });

      // Every worker line about this job names its tenant and video (and provider account where one is used).
      const job = parsed.filter((l) => l.service === 'worker' && JSON.stringify(l).includes(id));
      expect(job.length).toBeGreaterThanOrEqual(5);
      for (const line of job)
        expect(line, JSON.stringify(line)).toMatchObject({ tenant: 'acme', videoId: id });
      expect(job.map((l) => l.msg)).toEqual(
        expect.arrayContaining(['submitting', 'submitted', 'render finished', 'webhook delivered']),
      );
      expect(job.find((l) => l.msg === 'submitted')).toMatchObject({
        account: 'sim',
        providerJobId: expect.any(String),
      });
      expect(
        parsed.find((l) => l.service === 'api' && l.msg === 'video created' && l.videoId === id),
      ).toMatchObject({
        tenant: 'acme',
      });
    } finally {
      await hook.stop();
      await stack.close().catch(() => {});
    }
  });

  it('carry prompts with LOG_PROMPTS=true, and still no secret', async () => {
    const { stack, lines } = await start(true);
    try {
      const { id } = await stack.create({ prompt: PROMPT });
      expect((await stack.settle(id)).status).toBe('completed');
    } finally {
      await stack.close();
    }
    const parsed = lines.map((line) => JSON.parse(line) as LogLine);
    expect(parsed.find((l) => l.service === 'api' && l.msg === 'video created')?.prompt).toBe(PROMPT);
    expect(parsed.find((l) => l.service === 'worker' && l.msg === 'submitting')?.prompt).toBe(PROMPT);
    const text = lines.join('');
    expect(text).not.toContain(stack.key);
    expect(text).not.toContain(PROVIDER_KEY);
  });
});
