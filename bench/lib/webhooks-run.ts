import { apiEnvSchema, startApi } from '@reelay/api';
import { bullPrefix, type VideoEvent, type VideoRecord, VideoStore } from '@reelay/jobs';
import { ApiKeyStore } from '@reelay/tenants';
import { messageId, WEBHOOK_QUEUE } from '@reelay/webhooks';
import { Redis } from 'ioredis';
import { type CpuSample, sampleCpu } from './cpu.ts';
import type { BenchInfra } from './infra.ts';
import { type Child, processCpuSeconds, spawnService } from './pipeline-procs.ts';
import { scaledWorkerEnv } from './pipeline-reelay.ts';
import type { SimChild } from './pipeline-sim.ts';
import type { WebhooksBenchConfig } from './webhooks-config.ts';
import type { Arrival, ReceiverProcess } from './webhooks-receiver.ts';

export type RunKind = 'A' | 'B';

const TENANT = 'bench';
const TERMINAL = new Set(['completed', 'failed', 'canceled']);
/** Creates in flight at once: a backend submitting a batch. */
const CREATE_PARALLELISM = 16;
/**
 * Jobs with a webhook to the answering control endpoint, in both runs before the measured phase: in B the
 * background deliveries all time out, and without these the first healthy deliveries would run the
 * success path of the sender (and its connection to a fresh origin) cold, which A's have warm.
 */
const WARMUP_JOBS = 50;
/** After the last expected webhook, how long to keep listening for a duplicate. */
const LINGER_MS = 1_000;

/** One measured job: its record's completion and what the healthy endpoint received for it. */
export interface JobResult {
  id: string;
  status: string;
  completedAt: number | null;
  /** Receiver clock of each request carrying this video's completion event, in arrival order. */
  arrivals: number[];
  /**
   * From its BullMQ delivery job (worker clocks): when the notifier enqueued it, when it last became
   * active, and how many times it did (1 + the times the endpoint's in-flight cap sent it back). Null
   * when the job is not found.
   */
  delivery: { enqueuedAt: number; activeAt: number; starts: number } | null;
}

/** CPU seconds per process over the measured phase, and what the rest of the machine used. */
export interface PhaseCpu {
  wallS: number;
  bench: number;
  workers: number;
  simulator: number;
  receiver: number;
  redis: number | null;
  /** Share of all cores used by processes other than these. */
  foreignShare: number | null;
}

export interface RunResult {
  kind: RunKind;
  jobs: JobResult[];
  /** Warm-up and background jobs not `completed` (a render that failed makes the run invalid too). */
  backgroundNotCompleted: number;
  /** Requests to the healthy endpoint that belong to no measured job. */
  strays: number;
  /** Connections the never-answering endpoint accepted during the measured phase (B; 0 in A). */
  deadConnections: number;
  /**
   * Times the background deliveries were taken by a webhook worker during the measured phase: in B,
   * the attempts above plus every time the dead endpoint's in-flight cap sent one back (0 in A).
   */
  backgroundStarts: number;
  /** Signatures checked with `standardwebhooks`, and those that did not verify. */
  verified: number;
  badSignatures: string[];
  cpu: PhaseCpu;
  timedOut: boolean;
  /** Warn and error lines of the workers. */
  problems: string[];
}

export interface RunContext {
  config: WebhooksBenchConfig;
  infra: BenchInfra;
  sim: SimChild;
  receiver: ReceiverProcess;
  /** Verifies one request's signature; throws when it does not verify. */
  verify: (secret: string, arrival: Arrival) => void;
  progress: (text: string) => void;
  /** Registers cleanup for Ctrl-C. */
  onCleanup: (stop: () => Promise<void>) => void;
}

/**
 * One run on a fresh key prefix: api in this process, `config.workers` worker processes, then
 * (1) the warm-up jobs and the background jobs, rendered to completion, whose webhooks go to the
 * never-answering endpoint (B's background) or to one that answers at once (the rest), and (2) the
 * measured jobs, whose webhooks go to the healthy endpoint. The background renders are over before the
 * measured phase starts, so the only difference between A and B during it is what the background
 * deliveries do: in A nothing (delivered already), in B they hold the dead endpoint's slots until the
 * timeout and the rest keep bouncing off its cap.
 */
export async function runOnce(ctx: RunContext, kind: RunKind, prefix: string): Promise<RunResult> {
  const { config, infra, sim, receiver, progress } = ctx;
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  ctx.onCleanup(stopAll);
  try {
    const accounts = JSON.stringify([
      {
        id: 'sim',
        provider: 'openai-videos',
        baseUrl: `${sim.url}/v1`,
        apiKey: `sk-${prefix}`,
        // Far above what the run needs: rendering must not be the bottleneck.
        concurrency: 100_000,
        rpm: 10_000_000,
      },
    ]);
    const common = {
      ...infra.s3Env,
      REDIS_URL: infra.redisUrl,
      REDIS_PREFIX: prefix,
      PROVIDER_ACCOUNTS: accounts,
      // The receiver is on loopback, which the SSRF guard refuses by default.
      WEBHOOK_ALLOW: '127.0.0.1',
    };
    const api = await startApi(
      apiEnvSchema.parse({ ...common, API_HOST: '127.0.0.1', API_PORT: '0', LOG_LEVEL: 'silent' }),
    );
    stops.push(() => api.close());
    const admin = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
    stops.push(async () => admin.disconnect());
    const { key } = await new ApiKeyStore(admin, prefix).create(TENANT, { name: 'webhooks-bench' });
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${api.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          ...(init.headers as Record<string, string>),
        },
      });
    const secretAnswer = await call('/v1/webhooks/secret');
    if (!secretAnswer.ok) throw new Error(`GET /v1/webhooks/secret: HTTP ${secretAnswer.status}`);
    const { secret } = (await secretAnswer.json()) as { secret: string };
    const store = new VideoStore(admin, prefix);

    const finished = new Set<string>();
    const subscriber = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
    stops.push(async () => subscriber.disconnect());
    subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      const event = JSON.parse(message) as VideoEvent;
      if (event.status && TERMINAL.has(event.status)) finished.add(event.id);
    });
    await subscriber.psubscribe(store.keys.events(TENANT, '*'));

    const workerEnv = {
      ...common,
      ...scaledWorkerEnv(config.timeFactor),
      WEBHOOK_TIMEOUT_MS: String(config.webhookTimeoutMs),
      // info: the 'worker ready' line; per job it adds two lines ('submitted', 'render finished').
      LOG_LEVEL: 'info',
      WORKER_HEALTH_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: '0',
      ...config.workerEnv,
    };
    const workers: Child[] = [];
    for (let w = 0; w < config.workers; w++) {
      const worker = spawnService(`worker ${w + 1}`, 'services/worker/src/main.ts', workerEnv);
      workers.push(worker);
      stops.push(() => worker.stop(15_000));
    }
    await Promise.all(workers.map((w) => w.waitFor('worker ready', 30_000)));
    const alive = () => {
      const dead = [...workers, sim.process].find((w) => !w.alive());
      if (dead) throw new Error(`${dead.name} exited during the run:\n${dead.problems().join('\n')}`);
    };

    const create = (url: string, i: number, label: string) =>
      call('/v1/videos', {
        method: 'POST',
        body: JSON.stringify({
          model: 'sora-2',
          prompt: `A calico cat walks along a sunlit fence (webhooks bench ${label} ${i})`,
          seconds: '4',
          size: '720x1280',
          webhook_url: url,
        }),
      }).then(async (response) => {
        const body = (await response.json()) as { id?: string };
        if (response.status !== 200 || !body.id) {
          throw new Error(`create ${label} ${i}: HTTP ${response.status} ${JSON.stringify(body)}`);
        }
        return body.id;
      });
    const deadline = Date.now() + config.timeoutS * 1000;
    const waitUntil = async (what: string, done: () => Promise<boolean>): Promise<boolean> => {
      let lastReport = Date.now();
      for (;;) {
        alive();
        if (await done()) return true;
        if (Date.now() > deadline) {
          progress(`run ${kind}: gave up waiting for ${what} (--timeout ${config.timeoutS} s)`);
          return false;
        }
        if (Date.now() - lastReport >= 10_000) {
          lastReport = Date.now();
          progress(`run ${kind}: still waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // Terminal per the events, then confirmed from the records (the truth). The records are read only
    // then, or when the events have said nothing new for 5 s (one missed): reading a thousand records
    // every few seconds would be load on Redis in the middle of the measured phase.
    const allTerminal = (ids: string[]) => {
      let seenBefore = -1;
      let changedAt = Date.now();
      return async () => {
        const seen = ids.filter((id) => finished.has(id)).length;
        if (seen !== seenBefore) {
          seenBefore = seen;
          changedAt = Date.now();
        }
        if (seen < ids.length && Date.now() - changedAt < 5_000) return false;
        changedAt = Date.now();
        const records = await Promise.all(ids.map((id) => store.get(TENANT, id)));
        return records.every((r) => r !== null && TERMINAL.has(r.status));
      };
    };

    // (1) Warm-up and background jobs: all rendered (and all but B's background delivered) before the
    // measured ones start.
    const warmup = await createAll(WARMUP_JOBS, 0, (i) => create(receiver.controlUrl, i, `warm-up-${kind}`));
    const backgroundUrl = kind === 'B' ? receiver.deadUrl : receiver.controlUrl;
    const background = await createAll(config.deadJobs, 0, (i) =>
      create(backgroundUrl, i, `background-${kind}`),
    );
    let timedOut = !(await waitUntil(
      'the background jobs to finish',
      allTerminal([...warmup, ...background]),
    ));
    const answered = warmup.length + (kind === 'A' ? background.length : 0);
    if (!timedOut) {
      timedOut = !(await waitUntil(
        'the warm-up webhooks',
        async () => (await receiver.count()).control >= answered,
      ));
    }
    const backgroundRecords = await Promise.all(
      [...warmup, ...background].map((id) => store.get(TENANT, id)),
    );
    // The measured phase starts with the receiver empty: background arrivals are not its business.
    await receiver.take();

    const backgroundMessages = background.map((id) => messageId(id, 'video.completed'));
    const startsBefore = await totalStarts(admin, prefix, backgroundMessages);

    // (2) Measured jobs, paced.
    const meter = cpuMeter(infra.redisPid, workers, sim, receiver);
    const ids = timedOut
      ? []
      : await createAll(config.jobs, config.rate, (i) => create(receiver.healthyUrl, i, `measured-${kind}`));
    if (!timedOut) {
      timedOut = !(await waitUntil('the measured jobs to finish', allTerminal(ids)));
    }
    if (!timedOut) {
      timedOut = !(await waitUntil(
        'their webhooks',
        async () => (await receiver.count()).healthy >= ids.length,
      ));
    }
    const cpu = meter();
    const backgroundStarts = (await totalStarts(admin, prefix, backgroundMessages)) - startsBefore;
    // Anything sent twice arrives within this (a retry after a lost answer would come 5 s later, but
    // every answer here is a 204 on loopback: a duplicate would be a bug, not a retry).
    await new Promise((r) => setTimeout(r, LINGER_MS));
    const taken = await receiver.take();
    const records: Array<VideoRecord | null> = await Promise.all(ids.map((id) => store.get(TENANT, id)));

    const measured = new Set(ids);
    const byVideo = new Map<string, number[]>();
    let strays = 0;
    for (const arrival of taken.arrivals) {
      // Each request is about the video in its payload, under that video's own message id.
      const videoId = videoOf(arrival);
      const ours =
        videoId !== null && measured.has(videoId) && arrival.id === messageId(videoId, 'video.completed');
      if (!ours) strays++;
      else byVideo.set(videoId, [...(byVideo.get(videoId) ?? []), arrival.at]);
    }
    const messages = ids.map((id) => messageId(id, 'video.completed'));
    const deliveries = await deliveryJobs(admin, prefix, messages);
    const jobs: JobResult[] = ids.map((id, i) => ({
      id,
      status: records[i]?.status ?? 'missing',
      completedAt: records[i]?.completedAt ?? null,
      arrivals: byVideo.get(id) ?? [],
      delivery: deliveries[i] ?? null,
    }));

    // A sample spread over the run (every webhook would cost the bench nothing much either, but the
    // point is that the wire format is right, which a sample shows).
    const healthy = taken.arrivals.filter((a) => a.endpoint === 'healthy');
    const step = Math.max(1, Math.floor(healthy.length / 25));
    const badSignatures: string[] = [];
    let verified = 0;
    for (let i = 0; i < healthy.length; i += step) {
      verified++;
      try {
        ctx.verify(secret, healthy[i]!);
      } catch (error) {
        badSignatures.push(`${healthy[i]!.id}: ${(error as Error).message}`);
      }
    }
    const problems = workers.flatMap((w) => w.problems().map((p) => `${w.name}: ${p}`));
    await stopAll();
    return {
      kind,
      jobs,
      backgroundNotCompleted: backgroundRecords.filter((r) => r?.status !== 'completed').length,
      strays,
      deadConnections: taken.deadConnections,
      backgroundStarts,
      verified,
      badSignatures,
      cpu,
      timedOut,
      problems,
    };
  } finally {
    await stopAll();
  }
}

/** The hash BullMQ keeps a delivery job in (the job id is the message id, the webhook-id). */
const deliveryJobKey = (prefix: string, message: string) =>
  `${bullPrefix(prefix)}:${WEBHOOK_QUEUE}:${message}`;

/**
 * Per message, from its BullMQ job: `timestamp` (enqueued), `processedOn` (last moved to active) and
 * `ats` (times started).
 */
async function deliveryJobs(
  redis: Redis,
  prefix: string,
  messages: string[],
): Promise<Array<JobResult['delivery']>> {
  const pipeline = redis.pipeline();
  for (const message of messages) {
    pipeline.hmget(deliveryJobKey(prefix, message), 'timestamp', 'processedOn', 'ats');
  }
  const answers = (await pipeline.exec()) ?? [];
  return messages.map((_, i) => {
    const [error, fields] = answers[i] ?? [null, null];
    const [timestamp, processedOn, ats] = error ? [] : (fields as Array<string | null>);
    if (!timestamp || !processedOn || !ats) return null;
    return { enqueuedAt: Number(timestamp), activeAt: Number(processedOn), starts: Number(ats) };
  });
}

/** Sum of `ats` (times started) over the messages' delivery jobs. */
async function totalStarts(redis: Redis, prefix: string, messages: string[]): Promise<number> {
  if (messages.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const message of messages) pipeline.hget(deliveryJobKey(prefix, message), 'ats');
  const answers = (await pipeline.exec()) ?? [];
  return answers.reduce((total, [error, value]) => total + (error ? 0 : Number(value ?? 0)), 0);
}

/** The video a request is about: the Standard Webhooks payload's `data.id`; null when unreadable. */
function videoOf(arrival: Arrival): string | null {
  try {
    const payload = JSON.parse(arrival.body) as { type?: string; data?: { id?: string } };
    return payload.type === 'video.completed' && typeof payload.data?.id === 'string'
      ? payload.data.id
      : null;
  } catch {
    return null;
  }
}

/**
 * Creates `count` jobs, `rate` per second (0: as fast as CREATE_PARALLELISM requests in flight allow),
 * and returns their ids in creation order.
 */
async function createAll(
  count: number,
  rate: number,
  create: (i: number) => Promise<string>,
): Promise<string[]> {
  const ids: string[] = new Array(count);
  const startedAt = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CREATE_PARALLELISM, count) }, async () => {
      while (next < count) {
        const i = next++;
        if (rate > 0) {
          const due = startedAt + (i * 1000) / rate - performance.now();
          if (due > 0) await new Promise((r) => setTimeout(r, due));
        }
        ids[i] = await create(i);
      }
    }),
  );
  return ids;
}

/** CPU per process from now until the returned function is called. */
function cpuMeter(
  redisPid: number | null,
  workers: Child[],
  sim: SimChild,
  receiver: ReceiverProcess,
): () => PhaseCpu {
  const read = () => ({
    machine: sampleCpu(redisPid),
    workers: workers.reduce((total, w) => total + w.cpuSeconds(), 0),
    simulator: processCpuSeconds(sim.process.pid),
    receiver: receiver.cpuSeconds(),
    at: Date.now(),
  });
  const start = read();
  return () => {
    const now = read();
    const delta = (pick: (s: CpuSample) => number) =>
      start.machine && now.machine ? pick(now.machine) - pick(start.machine) : null;
    const bench = delta((s) => s.self) ?? 0;
    const redis = redisPid === null ? null : delta((s) => s.redis);
    const workerS = now.workers - start.workers;
    const simulator = now.simulator - start.simulator;
    const receiverS = now.receiver - start.receiver;
    const total = delta((s) => s.machineTotal);
    const busy = delta((s) => s.machineBusy);
    const ours = bench + workerS + simulator + receiverS + (redis ?? 0);
    return {
      wallS: (now.at - start.at) / 1000,
      bench,
      workers: workerS,
      simulator,
      receiver: receiverS,
      redis,
      foreignShare: total && busy !== null ? Math.max(0, (busy - ours) / total) : null,
    };
  };
}
