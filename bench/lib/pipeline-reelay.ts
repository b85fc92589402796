import { apiEnvSchema, type RunningApi, startApi } from '@reelay/api';
import { type VideoEvent, type VideoRecord, VideoStore } from '@reelay/jobs';
import { ApiKeyStore } from '@reelay/tenants';
import { Redis } from 'ioredis';
import type { BenchInfra } from './infra.ts';
import type { PipelineBenchConfig } from './pipeline-config.ts';
import { CpuMeter } from './pipeline-cpu.ts';
import { type Child, spawnService } from './pipeline-procs.ts';
import type { JobObservation, SideRun } from './pipeline-run.ts';
import { type SimChild, startSimChild } from './pipeline-sim.ts';

const TENANT = 'bench';
const WORKERS = 2;
const TERMINAL = new Set(['completed', 'failed', 'canceled']);
/** Creates in flight at once against the api: a backend submitting a batch, not one request at a time. */
const CREATE_PARALLELISM = 16;

/** What `run` needs from the bench: infra, a prefix of its own, and a hook to stop early on a signal. */
export interface ReelaySideOptions {
  config: PipelineBenchConfig;
  infra: BenchInfra;
  /** Redis key prefix for this side (deleted afterwards by the caller). */
  prefix: string;
  progress: (text: string) => void;
  /** Registers cleanup for Ctrl-C; called with the side's stop function. */
  onCleanup: (stop: () => Promise<void>) => void;
}

/** The per-job body, shared with the naive side so both render the same mix. */
export function jobBody(config: PipelineBenchConfig, i: number, side: string) {
  return {
    model: 'sora-2',
    prompt: `A calico cat walks along a sunlit fence, slow dolly shot (${side} bench job ${i})`,
    seconds: config.seconds[i % config.seconds.length]!,
    size: '720x1280',
  };
}

/**
 * The poll policy scaled by the time factor like every provider duration: the worker's defaults
 * (500 ms .. 30 s, 2 s cold start) are meant for renders of minutes, and a sped-up provider with real-time
 * poll bounds would look at every job far too rarely (or too often, for POLL_MIN_MS) for what it is.
 * The env schema's floors (10 ms, 100 ms) apply below a factor of 0.02.
 */
export function scaledWorkerEnv(timeFactor: number): Record<string, string> {
  const scale = (ms: number, floor: number) => String(Math.max(floor, Math.round(ms * timeFactor)));
  return {
    POLL_MIN_MS: scale(500, 10),
    POLL_MAX_MS: scale(30_000, 100),
    POLL_COLD_START_MS: scale(2_000, 10),
    BULK_STATUS_MAX_AGE_MS: scale(1_000, 1),
    // The lease outlives the longest gap between two polls (POLL_MAX_MS) many times over; 5 s is the floor.
    SLOT_LEASE_MS: scale(120_000, 5_000),
    SUBMIT_SETTLE_MS: scale(45_000, 0),
  };
}

/**
 * Reelay as deployed: the api in this process, two worker processes, one Redis and S3, one provider
 * account whose limits are exactly the simulator's (rpm converted from simulated to real minutes), so
 * anything Reelay sends past them comes back as a 429 the simulator counts.
 */
export async function runReelaySide(options: ReelaySideOptions): Promise<SideRun> {
  const { config, infra, prefix, progress } = options;
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  options.onCleanup(stopAll);
  try {
    const sim: SimChild = await startSimChild({
      timeFactor: config.timeFactor,
      concurrency: config.concurrency,
      rpm: config.rpm,
    });
    stops.push(() => sim.close());
    const accounts = JSON.stringify([
      {
        id: 'sim',
        provider: 'openai-videos',
        baseUrl: `${sim.url}/v1`,
        apiKey: 'sk-bench-reelay',
        concurrency: config.concurrency,
        // Per real minute; rounded down so that Reelay's budget is never above the provider's.
        rpm: Math.max(1, Math.floor(config.rpm / config.timeFactor)),
      },
    ]);
    const common = {
      ...infra.s3Env,
      REDIS_URL: infra.redisUrl,
      REDIS_PREFIX: prefix,
      PROVIDER_ACCOUNTS: accounts,
    };
    const api: RunningApi = await startApi(
      apiEnvSchema.parse({ ...common, API_HOST: '127.0.0.1', API_PORT: '0', LOG_LEVEL: 'silent' }),
    );
    stops.push(() => api.close());
    const admin = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
    stops.push(async () => admin.disconnect());
    const { key } = await new ApiKeyStore(admin, prefix).create(TENANT, { name: 'pipeline-bench' });
    const store = new VideoStore(admin, prefix);

    // Reelay publishes every status and progress change of a video, stamped by the worker that made it
    // (`at`, its Date.now() as it writes the change): the change to step 'fetch' is the moment a worker
    // learnt from a poll answer that the render was done (see detection in pipeline-figures.ts).
    const detected = new Map<string, number>();
    const finished = new Set<string>();
    const subscriber = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
    stops.push(async () => subscriber.disconnect());
    subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      const event = JSON.parse(message) as VideoEvent;
      if (event.step === 'fetch' && !detected.has(event.id)) detected.set(event.id, event.at);
      if (event.status && TERMINAL.has(event.status)) finished.add(event.id);
    });
    await subscriber.psubscribe(store.keys.events(TENANT, '*'));

    const workerEnv = {
      ...common,
      ...scaledWorkerEnv(config.timeFactor),
      // info: 'submitted' and 'render finished' lines, to count the work each process did.
      LOG_LEVEL: 'info',
      WORKER_HEALTH_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: '0',
    };
    const workers: Child[] = [];
    const submitted: number[] = [];
    const renderFinishedAt = new Map<string, number>();
    for (let w = 0; w < WORKERS; w++) {
      const worker = spawnService(`worker ${w + 1}`, 'services/worker/src/main.ts', workerEnv);
      workers.push(worker);
      stops.push(() => worker.stop(15_000));
      submitted.push(0);
      worker.onLine((line) => {
        if (line.msg === 'submitted') submitted[w]! += 1;
        else if (line.msg === 'render finished' && typeof line.videoId === 'string') {
          renderFinishedAt.set(line.videoId, Date.parse(String(line.time)));
        }
      });
    }
    await Promise.all(workers.map((w) => w.waitFor('worker ready', 30_000)));

    const cpu = new CpuMeter(infra.redisPid, () => ({
      simulator: sim.process.pid,
      workers: workers.map((w) => w.pid),
    }));
    cpu.begin();
    progress(`reelay: creating ${config.jobs} jobs through the api (2 worker processes)`);
    const ids: string[] = new Array(config.jobs);
    const sentAt: number[] = new Array(config.jobs);
    const startedAt = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CREATE_PARALLELISM, config.jobs) }, async () => {
        while (next < config.jobs) {
          const i = next++;
          sentAt[i] = Date.now();
          const response = await fetch(`${api.url}/v1/videos`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(jobBody(config, i, 'reelay')),
          });
          const body = (await response.json()) as { id?: string };
          if (response.status !== 200 || !body.id) {
            throw new Error(`reelay create ${i}: HTTP ${response.status} ${JSON.stringify(body)}`);
          }
          ids[i] = body.id;
        }
      }),
    );

    // Done when every video is terminal: the events say when to look, the records are the truth, and a
    // scan every 2 s covers a missed event. Nothing here touches the makespan, which comes from records.
    const deadline = startedAt + config.timeoutS * 1000;
    let records: Array<VideoRecord | null> = [];
    let lastReport = Date.now();
    let timedOut = false;
    for (let lastScan = 0; ; ) {
      const dead = [...workers, sim.process].find((w) => !w.alive());
      if (dead) throw new Error(`${dead.name} exited during the run:\n${dead.problems().join('\n')}`);
      if (finished.size >= config.jobs || Date.now() - lastScan >= 2_000) {
        lastScan = Date.now();
        records = await Promise.all(ids.map((id) => store.get(TENANT, id)));
        const done = records.filter((r) => r && TERMINAL.has(r.status)).length;
        if (done === config.jobs) break;
        if (Date.now() - lastReport >= 10_000) {
          lastReport = Date.now();
          progress(
            `reelay: ${done}/${config.jobs} finished after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`,
          );
        }
      }
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpuUse = cpu.end();
    const stats = await sim.stats();

    let fromEvents = 0;
    let fromLogs = 0;
    const jobs: JobObservation[] = ids.map((id, i) => {
      const record = records[i] ?? null;
      let detectedAt = detected.get(id) ?? null;
      if (detectedAt !== null) fromEvents++;
      else if (renderFinishedAt.has(id)) {
        detectedAt = renderFinishedAt.get(id)!;
        fromLogs++;
      }
      return {
        providerJobId: record?.providerJobId ?? null,
        status: record?.status ?? 'missing',
        createSentAt: sentAt[i]!,
        submitAt: record?.submitStartedAt ?? null,
        detectedAt,
        doneAt: record?.status === 'completed' ? record.completedAt : null,
        polls: record?.polls ?? 0,
        error: record?.errorCode ? `${record.errorCode}: ${record.errorMessage ?? ''}` : null,
      };
    });
    const exits = await Promise.all(
      workers.map(async (w) => {
        const started = Date.now();
        await w.stop(15_000);
        return `${w.name} stopped in ${Date.now() - started} ms`;
      }),
    );
    const recordPolls = jobs.reduce((total, job) => total + job.polls, 0);
    return {
      name: 'reelay',
      startedAt,
      jobs,
      sim: stats,
      cpu: cpuUse,
      notes: [
        // Without bulk status the two agree unless polls were refused (429) or a step ran twice.
        `status looks: ${recordPolls} counted in the records; the provider served ` +
          `${stats.ops.retrieve?.requests ?? 0} retrieve and ${stats.ops.list?.requests ?? 0} list requests`,
        ...exits,
      ],
      submittedByWorker: submitted,
      detectionSource:
        `worker's change of the video to step 'fetch' (Redis event, 'at' = worker clock) for ${fromEvents} jobs` +
        (fromLogs > 0 ? `, its 'render finished' log line for ${fromLogs}` : ''),
      problems: [
        ...workers.flatMap((w) => w.problems().map((p) => `${w.name}: ${p}`)),
        ...sim.process.problems(),
      ],
      timedOut,
    };
  } finally {
    await stopAll();
  }
}
