import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VideoObject } from '@reelay/contracts';
import { freePort } from '@reelay/localstack';
import { type RunningSimulator, startSimulator } from '@reelay/simulator';
import { ApiKeyStore } from '@reelay/tenants';
import { infra, isolatedBucket, isolatedRedis, runNode, waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.ts';

const PRODUCER = 4;
const CONSUMER = 5;
const CLIENT = 3;

/**
 * Tracing is process-global, so api and worker run as real processes (their main.ts, as deployed), with
 * the exporter pointed at a local OTLP/HTTP receiver.
 */
describe('traces', () => {
  let sim: RunningSimulator;
  let hooks: WebhookSink;

  beforeAll(async () => {
    sim = await startSimulator({ SIM_TIME_FACTOR: 0.002 });
    hooks = await startWebhookSink();
  });
  afterAll(async () => {
    await hooks?.close();
    await sim?.close();
  });

  it('follow one create from the api through the queue and worker to the provider, S3 and the webhook', async () => {
    const receiver = await startOtlpReceiver();
    const stack = await startStack(sim, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    try {
      const video = await stack.createAndSettle({
        prompt: 'a traced cat',
        seconds: '4',
        webhook_url: hooks.url,
      });
      expect(video.status).toBe('completed');
      const delivery = await waitFor(() => hooks.received.find((h) => h.body.includes(video.id)), {
        timeoutMs: 15_000,
        what: 'the completion webhook',
      });

      const trace = await waitFor(() => completeTrace(receiver, sim.url, hooks.url), {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: 'spans from api and worker in one trace',
      }).catch((error: Error) => {
        throw new Error(`${error.message}\n${describeSpans(receiver.spans)}\n${stack.output()}`);
      });
      const { create, add, processes, provider, s3, webhookProcess, webhookPost, spans } = trace;

      expect(new Set(receiver.spans.map((s) => s.service))).toEqual(new Set(['reelay-api', 'reelay-worker']));
      // api: the request span, and BullMQ's add under it.
      expect(create.service).toBe('reelay-api');
      expect(add.service).toBe('reelay-api');
      expect(descends(add, create, spans)).toBe(true);
      // worker: every run of the job's steps is a child of that add, wherever and whenever it ran.
      expect(processes.length).toBeGreaterThan(1);
      for (const run of processes) expect(run.parentSpanId).toBe(add.spanId);
      // provider HTTP (create, polls, content) and S3 uploads happen inside those runs.
      expect(new Set(provider.map((s) => s.attributes['http.request.method']))).toEqual(
        new Set(['POST', 'GET']),
      );
      expect(s3.map((s) => s.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^S3\./)]));
      for (const span of [...provider, ...s3]) {
        expect(processes.some((run) => descends(span, run, spans))).toBe(true);
      }
      // The webhook delivery continues the same trace, and its receiver is handed the trace context.
      expect(processes.some((run) => descends(webhookProcess, run, spans))).toBe(true);
      expect(descends(webhookPost, webhookProcess, spans)).toBe(true);
      expect(delivery.headers.traceparent).toMatch(new RegExp(`^00-${create.traceId}-[0-9a-f]{16}-01$`));
    } finally {
      await stack.close();
      await receiver.close();
    }
  });

  it('send nothing when turned off, even with an endpoint set', async () => {
    const receiver = await startOtlpReceiver();
    const stack = await startStack(sim, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SDK_DISABLED: 'true',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    try {
      const video = await stack.createAndSettle({ prompt: 'an untraced cat', seconds: '4' });
      expect(video.status).toBe('completed');
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.requests).toBe(0);
    } finally {
      await stack.close();
      await receiver.close();
    }
  });

  it('stop the service on a bad OTEL_* value with one clear line', async () => {
    const api = runNode('services/api/src/main.ts', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    const { code } = await api.exited;
    expect(code).toBe(78);
    expect(api.output().stderr).toBe(
      'reelay-api: invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json (got "grpc")\n',
    );
  });
});

interface Stack {
  createAndSettle(body: Record<string, unknown>): Promise<VideoObject>;
  output(): string;
  close(): Promise<void>;
}

async function startStack(sim: RunningSimulator, otel: Record<string, string>): Promise<Stack> {
  const redis = await isolatedRedis();
  const bucket = await isolatedBucket();
  const [apiPort, healthPort] = [await freePort(), await freePort()];
  const env = {
    ...bucket.env,
    REDIS_URL: infra().redisUrl,
    REDIS_PREFIX: redis.prefix,
    LOG_LEVEL: 'warn',
    WEBHOOK_ALLOW: '127.0.0.1',
    PROVIDER_ACCOUNTS: JSON.stringify([
      { id: 'sim', provider: 'openai-videos', baseUrl: `${sim.url}/v1`, apiKey: 'sk-sim', rpm: 60_000 },
    ]),
    ...otel,
  };
  const api = runNode('services/api/src/main.ts', {
    ...env,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
  });
  const worker = runNode('services/worker/src/main.ts', {
    ...env,
    WORKER_HEALTH_HOST: '127.0.0.1',
    WORKER_HEALTH_PORT: String(healthPort),
    POLL_MIN_MS: '20',
    POLL_COLD_START_MS: '50',
  });
  const output = () => [api, worker].map((p) => `${p.output().stdout}${p.output().stderr}`).join('\n---\n');
  const close = async () => {
    await Promise.all([api.stop('SIGTERM', 10_000), worker.stop('SIGTERM', 10_000)]);
    await redis.cleanup();
    await bucket.cleanup();
  };
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  try {
    for (const url of [`${apiUrl}/healthz`, `http://127.0.0.1:${healthPort}/healthz`]) {
      await waitFor(async () => (await fetch(url).catch(() => null))?.ok || undefined, {
        timeoutMs: 30_000,
        what: url,
      });
    }
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}\n${output()}`);
  }
  const { key } = await new ApiKeyStore(redis.redis, redis.prefix).create('acme');
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  return {
    output,
    close,
    async createAndSettle(body) {
      const response = await fetch(`${apiUrl}/v1/videos`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      const created = (await response.json()) as VideoObject;
      if (response.status !== 200) throw new Error(`create failed: ${JSON.stringify(created)}`);
      return waitFor(
        async () => {
          const video = (await (
            await fetch(`${apiUrl}/v1/videos/${created.id}`, { headers })
          ).json()) as VideoObject;
          return ['completed', 'failed', 'canceled'].includes(video.status) ? video : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: `video ${created.id} to finish` },
      );
    },
  };
}

/** The spans the first test expects, once all of them have arrived; undefined until then. */
function completeTrace(receiver: OtlpReceiver, simUrl: string, hookUrl: string) {
  const create = receiver.spans.find((s) => s.service === 'reelay-api' && s.name === 'POST /v1/videos');
  if (!create) return undefined;
  const spans = receiver.spans.filter((s) => s.traceId === create.traceId);
  const add = spans.find((s) => s.name === 'add {videos}.render' && s.kind === PRODUCER);
  const processes = spans.filter(
    (s) => s.service === 'reelay-worker' && s.name === 'process {videos}' && s.kind === CONSUMER,
  );
  const clients = spans.filter((s) => s.service === 'reelay-worker' && s.kind === CLIENT);
  const provider = clients.filter((s) => String(s.attributes['url.full']).startsWith(simUrl));
  const s3 = spans.filter(
    (s) => s.service === 'reelay-worker' && s.scope === '@opentelemetry/instrumentation-aws-sdk',
  );
  const webhookProcess = spans.find((s) => s.name === 'process {webhooks}' && s.kind === CONSUMER);
  const webhookPost = clients.find((s) => String(s.attributes['url.full']) === hookUrl);
  // The content download and the upload end the render; the delivery comes after.
  const methods = new Set(provider.map((s) => s.attributes['http.request.method']));
  if (!add || processes.length < 2 || !methods.has('POST') || !methods.has('GET') || s3.length === 0) {
    return undefined;
  }
  if (!webhookProcess || !webhookPost) return undefined;
  return { create, add, processes, provider, s3, webhookProcess, webhookPost, spans };
}

/** Whether `span` is `ancestor` or lies under it. */
function descends(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let at: ReceivedSpan | undefined = span; at; at = byId.get(at.parentSpanId)) {
    if (at.spanId === ancestor.spanId) return true;
  }
  return false;
}

function describeSpans(spans: ReceivedSpan[]): string {
  return spans
    .map(
      (s) =>
        `${s.service} ${s.traceId.slice(0, 8)} ${s.spanId} <- ${s.parentSpanId || '-'} ${s.kind} ${s.name}`,
    )
    .join('\n');
}

interface WebhookSink {
  url: string;
  received: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

async function startWebhookSink(): Promise<WebhookSink> {
  const received: WebhookSink['received'] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
