// Bench for the render pipeline (issue 4): N video jobs through Reelay (api in this process, 2 worker
// processes, global provider limits) against the provider simulator with a concurrency cap and a request
// budget, side by side with the seed sample's naive client (one client per job, 10 s poll sleep) against
// a fresh simulator with the same limits. Run: ./reelay bench pipeline --help

import { emptyBucket } from './lib/bucket.ts';
import {
  codeVersion,
  machine as describeMachine,
  machineLine,
  newRunId,
  output,
  shutdownOnSignal,
} from './lib/cli.ts';
import { startInfra } from './lib/infra.ts';
import { loadPipelineConfig } from './lib/pipeline-config.ts';
import {
  figures,
  figuresJson,
  PIPELINE_TARGETS,
  pipelineTable,
  type SideFigures,
} from './lib/pipeline-figures.ts';
import { runNaiveSide } from './lib/pipeline-naive.ts';
import { runReelaySide, scaledWorkerEnv } from './lib/pipeline-reelay.ts';
import type { SideRun } from './lib/pipeline-run.ts';

const config = loadPipelineConfig(process.argv.slice(2), process.env);
const { out, progress } = output(config.json);
const runId = newRunId();
const infra = await startInfra({ redisUrl: config.redisUrl, s3: config.s3, runId });
const cleanups = new Set<() => Promise<void>>();
let shuttingDown: Promise<void> | undefined;
let interrupted = false;
// Once: a signal's cleanup and the main flow's `finally` must not each empty the bucket and stop Redis.
const shutdown = () =>
  (shuttingDown ??= (async () => {
    for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => {});
    cleanups.clear();
    await emptyBucket(infra.s3Env).catch((e: Error) => console.error(`cleanup: bucket: ${e.message}`));
    await infra.close();
  })());
shutdownOnSignal(progress, shutdown, () => {
  interrupted = true;
});

const machine = describeMachine(infra.redisVersion);
const code = codeVersion();
const reelayRpm = Math.max(1, Math.floor(config.rpm / config.timeFactor));
const workerEnv = scaledWorkerEnv(config.timeFactor);

let exitCode = 0;
try {
  out(machineLine(machine));
  out(`code: ${code}`);
  out(
    `config: ${config.jobs} jobs per side (sora-2 720x1280, ${config.seconds.join('/')} s cycled), ` +
      `time factor ${config.timeFactor} (a simulated minute = ${(60 * config.timeFactor).toFixed(2)} s), ` +
      `provider cap ${config.concurrency} jobs queued or rendering per key, ${config.rpm} requests per simulated ` +
      `minute per key; Reelay account: concurrency ${config.concurrency}, rpm ${reelayRpm} (per real minute); ` +
      `workers: 2 processes, ${Object.entries(workerEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}; redis ${infra.source.redis}, s3 ${infra.source.s3}, loopback`,
  );

  const runs: SideRun[] = [];
  for (const side of config.sides) {
    await infra.settle();
    const prefix = `${runId}:${side}`;
    const onCleanup = (stop: () => Promise<void>) => {
      cleanups.add(stop);
    };
    try {
      const run =
        side === 'reelay'
          ? await runReelaySide({ config, infra, prefix, progress, onCleanup })
          : await runNaiveSide({ config, infra, progress, onCleanup });
      runs.push(run);
      const done = run.jobs.filter((j) => j.status === 'completed').length;
      progress(`${side}: ${done}/${config.jobs} completed in ${run.cpu.wallS.toFixed(1)} s`);
    } finally {
      for (const cleanup of cleanups) await cleanup().catch(() => {});
      cleanups.clear();
      await infra.deletePrefix(`${prefix}:`);
    }
  }

  const sides: SideFigures[] = runs.map((run) => figures(run, config.concurrency));
  out('');
  out(pipelineTable(sides));
  out('');
  out(
    'bound: the sum over the provider jobs of their wall-clock queue + render time (the span during which the ' +
      'simulator counts a job against its cap), divided by the cap. Unused capacity (cap x makespan - that sum, ' +
      "as a share of the sum) is split by who held the slot: Reelay's slot is taken before the create " +
      '(fence: submitStartedAt) and given back when a poll has seen the end; the tail row is what a ' +
      'dispatcher starting the same jobs in the same order the instant a place frees, at zero cost, leaves unused',
  );
  for (const run of runs) {
    out(`detection (${run.name}): the simulator's finishedAt of the job -> ${run.detectionSource}`);
  }
  out(
    "polls: a look is a retrieve of the job or its entry in a shared list answer (Reelay's bulk status); the " +
      'target is judged on the median of per-job retrieves when there were no list requests, else on the mean ' +
      'of (retrieve + list) requests per job',
  );
  for (const run of runs) {
    const c = run.cpu;
    const foreign =
      c.foreignShare === null ? '' : `, others ${(c.foreignShare * 100).toFixed(0)}% of the machine`;
    out(
      `cpu (${run.name}): ${c.wallS.toFixed(1)} s wall; bench ${c.bench.toFixed(1)} s, simulator ` +
        `${c.simulator.toFixed(1)} s, workers ${c.workers.toFixed(1)} s, redis ${c.redis === null ? '-' : c.redis.toFixed(1)} s${foreign}`,
    );
    for (const note of run.notes) out(`note (${run.name}): ${note}`);
  }
  const busy = runs.filter((r) => (r.cpu.foreignShare ?? 0) > 0.1);
  if (busy.length > 0) {
    out(
      `warning: other processes used more than 10% of the machine during ${busy.map((r) => r.name).join(', ')}: ` +
        'wall-clock figures (makespan, detection delay) are pessimistic; rerun on a quiet machine',
    );
  }
  const problems = runs.flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`));
  if (problems.length > 0) {
    out(`warnings and errors logged (${problems.length}, first 5):`);
    for (const problem of problems.slice(0, 5)) out(`  ${problem.slice(0, 400)}`);
  }

  const incomplete = runs.filter((r) => r.jobs.some((j) => j.status !== 'completed'));
  const valid = incomplete.length === 0;
  for (const run of incomplete) {
    const byStatus = new Map<string, number>();
    for (const job of run.jobs) byStatus.set(job.status, (byStatus.get(job.status) ?? 0) + 1);
    const firstError = run.jobs.find((j) => j.error)?.error;
    out(
      `INVALID RUN (${run.name}): ${run.timedOut ? `not finished within --timeout ${config.timeoutS} s; ` : ''}` +
        `statuses ${[...byStatus].map(([s, n]) => `${s} ${n}`).join(', ')}` +
        (firstError ? `; first error: ${firstError}` : ''),
    );
  }
  const reelay = sides.find((s) => s.name === 'reelay');
  const pass = valid && reelay !== undefined && Object.values(reelay.pass).every((p) => p !== false);
  out(
    `targets: makespan <= ${PIPELINE_TARGETS.maxMakespanRatio}x bound, 429s <= ${PIPELINE_TARGETS.max429Share * 100}% ` +
      `of requests, median polls <= ${PIPELINE_TARGETS.maxMedianPolls}, detection p50 <= ` +
      `${PIPELINE_TARGETS.maxDetectionShare * 100}% of render time, 2 worker processes holding the caps`,
  );
  out(
    `verdict (reelay): ${!valid ? 'INVALID' : reelay ? (pass ? 'PASS' : 'FAIL') : 'n/a (reelay side not run)'}`,
  );
  if (!valid) exitCode = 1;

  if (config.json) {
    const line = {
      bench: 'pipeline',
      machine,
      code,
      config: {
        jobs: config.jobs,
        timeFactor: config.timeFactor,
        concurrency: config.concurrency,
        simRpm: config.rpm,
        reelayRpm,
        seconds: config.seconds,
        worker: workerEnv,
        redis: infra.source.redis,
        s3: infra.source.s3,
      },
      targets: PIPELINE_TARGETS,
      sides: sides.map((side, i) => ({
        ...figuresJson(side),
        cpu: runs[i]!.cpu,
        detectionSource: runs[i]!.detectionSource,
      })),
      valid,
      pass,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} catch (error) {
  // After a signal the side fails because its processes were stopped under it: not worth a stack trace.
  if (!interrupted) console.error(`pipeline: ${(error as Error).stack ?? error}`);
  exitCode = 1;
} finally {
  await shutdown();
}
process.exit(exitCode);
