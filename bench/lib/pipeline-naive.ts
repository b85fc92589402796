import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchInfra } from './infra.ts';
import type { PipelineBenchConfig } from './pipeline-config.ts';
import { CpuMeter } from './pipeline-cpu.ts';
import { jobBody } from './pipeline-reelay.ts';
import type { JobObservation, SideRun } from './pipeline-run.ts';
import { startSimChild } from './pipeline-sim.ts';

/** The seed client's poll sleep, in simulated ms (`sleep 10` in sample-client.sh). */
const SEED_POLL_MS = 10_000;

export interface NaiveSideOptions {
  config: PipelineBenchConfig;
  infra: BenchInfra;
  progress: (text: string) => void;
  onCleanup: (stop: () => Promise<void>) => void;
}

interface Counts {
  create429: number;
  poll429: number;
  content429: number;
  bytes: number;
}

class Timeout extends Error {}

/**
 * The seed sample's strategy (`../shared/seed/sample-client.sh`), one async client per job, all started
 * at once, in this process, straight against a fresh simulator with the same limits: create; poll at
 * once, then every 10 s (scaled by the time factor) until completed or failed; download the video
 * (bytes discarded). No concurrency control and no rate budget. On a 429 it sleeps its poll interval and
 * tries the same request again: the seed script itself has no such branch (it would parse the error body
 * as a video id and poll that until MAX_POLLS), so this is the most charitable reading of it.
 */
export async function runNaiveSide(options: NaiveSideOptions): Promise<SideRun> {
  const { config, progress } = options;
  const sim = await startSimChild({
    timeFactor: config.timeFactor,
    concurrency: config.concurrency,
    rpm: config.rpm,
  });
  options.onCleanup(() => sim.close());
  try {
    const base = `${sim.url}/v1`;
    const headers = { authorization: 'Bearer sk-bench-naive' };
    const pollMs = SEED_POLL_MS * config.timeFactor;
    const counts: Counts = { create429: 0, poll429: 0, content429: 0, bytes: 0 };
    const cpu = new CpuMeter(options.infra.redisPid, () => ({ simulator: sim.process.pid, workers: [] }));
    cpu.begin();
    progress(`naive: ${config.jobs} clients, each polling every ${pollMs.toFixed(0)} ms`);
    const startedAt = Date.now();
    const deadline = startedAt + config.timeoutS * 1000;
    const check = () => {
      if (Date.now() > deadline) throw new Timeout();
    };

    const client = async (i: number): Promise<JobObservation> => {
      const job: JobObservation = {
        providerJobId: null,
        status: 'queued',
        createSentAt: Date.now(),
        submitAt: null,
        detectedAt: null,
        doneAt: null,
        polls: 0,
        error: null,
      };
      try {
        const body = JSON.stringify(jobBody(config, i, 'naive'));
        for (;;) {
          check();
          const response = await fetch(`${base}/videos`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body,
          });
          const answer = (await response.json()) as { id?: string };
          if (response.status === 429) {
            counts.create429++;
            await sleep(pollMs);
            continue;
          }
          if (!response.ok || !answer.id) throw new Error(`create: HTTP ${response.status}`);
          job.providerJobId = answer.id;
          break;
        }
        for (;;) {
          check();
          const response = await fetch(`${base}/videos/${job.providerJobId}`, { headers });
          const video = (await response.json()) as { status?: string };
          // Every status request counts as a poll, refused ones too: each cost the provider a request.
          job.polls++;
          if (response.status === 429) {
            counts.poll429++;
          } else {
            if (!response.ok) throw new Error(`retrieve: HTTP ${response.status}`);
            if (video.status === 'completed') {
              job.detectedAt = Date.now();
              break;
            }
            if (video.status === 'failed') {
              job.status = 'failed';
              job.error = 'provider failed the render';
              return job;
            }
          }
          await sleep(pollMs);
        }
        for (;;) {
          check();
          const response = await fetch(`${base}/videos/${job.providerJobId}/content`, { headers });
          if (response.status === 429) {
            await response.body?.cancel();
            counts.content429++;
            await sleep(pollMs);
            continue;
          }
          if (!response.ok || !response.body) throw new Error(`content: HTTP ${response.status}`);
          for await (const chunk of response.body) counts.bytes += (chunk as Uint8Array).byteLength;
          break;
        }
        job.doneAt = Date.now();
        job.status = 'completed';
      } catch (error) {
        job.status = error instanceof Timeout ? 'timed out' : 'failed';
        job.error = error instanceof Timeout ? 'still running at the timeout' : (error as Error).message;
      }
      return job;
    };

    let finished = 0;
    const ticker = setInterval(
      () =>
        progress(
          `naive: ${finished}/${config.jobs} finished after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`,
        ),
      10_000,
    );
    let jobs: JobObservation[];
    try {
      jobs = await Promise.all(
        Array.from({ length: config.jobs }, (_, i) =>
          client(i).then((job) => {
            finished++;
            return job;
          }),
        ),
      );
    } finally {
      clearInterval(ticker);
    }
    const cpuUse = cpu.end();
    const stats = await sim.stats();
    const timedOut = jobs.some((j) => j.status === 'timed out');
    return {
      name: 'naive',
      startedAt,
      jobs,
      sim: stats,
      cpu: cpuUse,
      notes: [
        `429s seen by the clients: ${counts.create429} on create, ${counts.poll429} on poll, ` +
          `${counts.content429} on download; ${(counts.bytes / 2 ** 20).toFixed(1)} MiB downloaded`,
      ],
      submittedByWorker: null,
      detectionSource: 'arrival of the poll answer saying completed, in the client',
      problems: sim.process.problems(),
      timedOut,
    };
  } finally {
    await sim.close();
  }
}
