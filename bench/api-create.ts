// Bench for the create endpoint (issue 3): Reelay's POST /v1/videos (auth, validation, idempotency,
// persistence, enqueue) against a minimal Fastify route that only calls `queue.add`, under the same
// autocannon load, on the same Redis and S3, one side at a time. Two reference rows without targets:
// `floor`, the minimal route plus Reelay's record write and nothing else (what any create that keeps a
// record can reach here), and `job-as-record`, one queue.add carrying the whole video.
// Run: ./reelay bench api-create --help

import { machine as describeMachine, machineLine, newRunId, output, shutdownOnSignal } from './lib/cli.ts';
import { loadConfig, type RowName } from './lib/config.ts';
import { type CpuSample, foreignShare, sampleCpu, waitForQuiet } from './lib/cpu.ts';
import { startInfra } from './lib/infra.ts';
import { runLoad } from './lib/load.ts';
import { type RunResult, sum, summarize, TARGETS, table } from './lib/report.ts';
import { type Side, startSide } from './lib/sides.ts';

const BODY = JSON.stringify({
  prompt: 'A calico cat walks along a sunlit fence, slow dolly shot',
  seconds: '4',
});

const config = loadConfig(process.argv.slice(2), process.env);
const { out, progress } = output(config.json);
const runId = newRunId();
const infra = await startInfra({ redisUrl: config.redisUrl, s3: config.s3, runId });
let side: Side | undefined;
const shutdown = async () => {
  await side?.close().catch(() => {});
  await infra.close();
};
shutdownOnSignal(progress, shutdown);
/** Above this share of the machine's CPU taken by other processes, a run is flagged as not comparable. */
const BUSY_SHARE = 0.1;

/** One row once: a fresh server on a fresh prefix, warm-up, measured load, count, delete. */
async function measure(row: RowName, prefix: string): Promise<RunResult> {
  await infra.settle();
  try {
    const current = await startSide(row, infra, prefix, config.logLevel);
    side = current;
    if (!(await waitForQuiet(infra.redisPid, BUSY_SHARE, 30_000))) {
      progress(`${row}: other processes keep using the CPU; measuring anyway (the run will be flagged)`);
    }
    let start: { cpu: CpuSample | null; thread: NodeJS.CpuUsage; forks: Promise<number> } | undefined;
    const load = await runLoad(
      {
        url: current.url,
        connections: config.connections,
        durationS: config.durationS,
        warmupS: config.warmupS,
        body: BODY,
        headers: current.headers,
        idempotencyKeyPrefix: current.idempotent ? prefix : null,
      },
      () => {
        start = { cpu: sampleCpu(infra.redisPid), thread: process.threadCpuUsage(), forks: infra.forks() };
      },
    );
    const thread = process.threadCpuUsage(start!.thread);
    const cpu = sampleCpu(infra.redisPid);
    const served = Math.max(1, load.ok + load.non2xx);
    // The server runs on this (main) thread and nothing else does during the window: its CPU time per
    // request is the cost of the route itself, and moves much less than req/s when a neighbour steals
    // a core. Redis's share comes from /proc when it runs on this machine.
    const serverCpuUs = (thread.user + thread.system) / served;
    const redisCpuUs =
      cpu && start!.cpu && infra.redisPid !== null ? ((cpu.redis - start!.cpu.redis) * 1e6) / served : null;
    const foreignCpu = foreignShare(start!.cpu, cpu);
    const redisForks = (await infra.forks()) - (await start!.forks);
    return { ...load, stored: await current.stored(), redisForks, foreignCpu, serverCpuUs, redisCpuUs };
  } finally {
    await side?.close();
    side = undefined;
    await infra.deletePrefix(`${prefix}:`);
  }
}

let exitCode = 0;
try {
  const machine = describeMachine(infra.redisVersion);
  out(machineLine(machine));
  out(
    `config: ${config.connections} connections, ${config.warmupS} s warm-up + ${config.durationS} s measured per run, ` +
      `${config.rounds} round(s) alternating order, redis ${infra.source.redis}, s3 ${infra.source.s3}, loopback, ` +
      `reelay LOG_LEVEL ${config.logLevel}`,
  );

  const results = new Map<RowName, RunResult[]>(config.rows.map((row) => [row, []]));
  for (let round = 0; round < config.rounds; round++) {
    // A B, then B A: whatever drifts over the bench (heat, a neighbour's load) hits both sides alike.
    const order = round % 2 === 0 ? config.rows : [...config.rows].reverse();
    for (const row of order) {
      const result = await measure(row, `${runId}:${round}-${row}`);
      results.get(row)!.push(result);
      const problems = [
        result.non2xx > 0 ? `${result.non2xx} non-2xx` : '',
        result.errors > 0 ? `${result.errors} errors` : '',
        result.redisForks > 0 ? 'an AOF rewrite ran during it' : '',
        (result.foreignCpu ?? 0) > BUSY_SHARE
          ? `other processes took ${((result.foreignCpu ?? 0) * 100).toFixed(0)}% of the CPU`
          : '',
      ].filter(Boolean);
      progress(
        `round ${round + 1}/${config.rounds} ${row}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99.toFixed(2)} ms` +
          (problems.length > 0 ? ` (${problems.join(', ')})` : ''),
      );
    }
  }

  const rows = summarize(results, BUSY_SHARE);
  const runs = rows.flatMap((r) => r.runs);
  const failed = runs.filter((r) => r.non2xx + r.errors > 0);
  // Responses cut off when a run stops may have stored too, so stored >= answered.
  const lost = runs.filter((r) => r.stored < r.ok + r.warmupOk);
  const valid = failed.length === 0 && lost.length === 0;
  const judged = rows.filter((r) => r.pass !== null);
  const pass = valid && judged.length > 0 && judged.every((r) => r.pass);

  out('');
  out(table(rows, BUSY_SHARE));
  out(
    "api µs/req: the server thread's CPU per request; cpu ratio: the minimal route's api µs/req over the " +
      "row's, the req/s ratio a CPU-bound server reaches; it moves much less than req/s when a neighbour " +
      'takes CPU',
  );
  if (rows.some((r) => r.name === 'floor')) {
    out(
      "floor: the minimal route plus the record Reelay's create stores (same VideoStore.create and job add, " +
        'no auth, validation, idempotency or video object): the most a create that keeps a durable record ' +
        'reaches on this machine',
    );
  }
  if (rows.some((r) => r.name === 'job-as-record')) {
    out(
      'job as record: no Reelay record at create, one queue.add whose data is the whole video (the design ' +
        'that would make a create one Redis write)',
    );
  }
  out('');
  out(
    `stored: ${sum(runs, (r) => r.stored)} records/jobs for ${sum(runs, (r) => r.ok + r.warmupOk)} 2xx answers (warm-ups included)`,
  );
  const busy = rows.filter((r) => (r.chosen.foreignCpu ?? 0) > BUSY_SHARE);
  if (busy.length > 0) {
    out(
      `warning: other processes were using the CPU during ${busy.map((r) => r.name).join(', ')}: ` +
        'the figures are not comparable; rerun on a quiet machine',
    );
  }
  out(`targets: reelay >= ${TARGETS.minRatio}x the minimal route's req/s, p99 <= ${TARGETS.maxP99Ms} ms`);
  if (!valid) {
    const first = failed.find((r) => r.firstError)?.firstError;
    if (failed.length > 0)
      out(`INVALID RUN: every request must answer 2xx${first ? `; first error: ${first}` : ''}`);
    if (lost.length > 0) out('INVALID RUN: fewer records/jobs stored than 2xx answers');
    exitCode = 1;
  } else {
    const na = config.rows.includes('minimal')
      ? 'n/a (no reelay row ran)'
      : 'n/a (the ratio needs the minimal row)';
    out(`verdict: ${judged.length === 0 ? na : pass ? 'PASS' : 'FAIL'}`);
  }
  if (config.json) {
    const round2 = (n: number) => Math.round(n * 100) / 100;
    const figures = (r: RunResult) => ({
      rps: Math.round(r.rps),
      p50Ms: round2(r.p50),
      p90Ms: round2(r.p90),
      p99Ms: round2(r.p99),
      maxMs: round2(r.max),
      ok: r.ok,
      non2xx: r.non2xx,
      errors: r.errors,
      stored: r.stored,
      redisForks: r.redisForks,
      foreignCpu: r.foreignCpu === null ? null : round2(r.foreignCpu),
      serverCpuUsPerReq: Math.round(r.serverCpuUs),
      redisCpuUsPerReq: r.redisCpuUs === null ? null : Math.round(r.redisCpuUs),
    });
    const line = {
      bench: 'api-create',
      machine,
      config: {
        connections: config.connections,
        durationS: config.durationS,
        warmupS: config.warmupS,
        rounds: config.rounds,
        reelayLogLevel: config.logLevel,
        redis: infra.source.redis,
        s3: infra.source.s3,
      },
      targets: TARGETS,
      rows: rows.map((r) => ({
        name: r.name,
        ...figures(r.chosen),
        ratio: r.ratio === null ? null : round2(r.ratio),
        cpuRatio: r.cpuRatio === null ? null : round2(r.cpuRatio),
        pass: r.pass,
        runs: r.runs.map(figures),
      })),
      valid,
      pass,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} catch (error) {
  console.error(`api-create: ${(error as Error).stack ?? error}`);
  exitCode = 1;
} finally {
  await shutdown();
}
process.exit(exitCode);
