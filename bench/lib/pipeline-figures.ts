import type { JobStats } from '@reelay/simulator';
import type { SideName } from './pipeline-config.ts';
import type { SideRun } from './pipeline-run.ts';

/** The issue's targets for the pipeline (issue 4, "Bench"). */
export const PIPELINE_TARGETS = {
  /** makespan <= this x the capacity bound. */
  maxMakespanRatio: 1.1,
  /** 429s <= this share of provider requests. */
  max429Share: 0.01,
  /** median status polls per job <= this. */
  maxMedianPolls: 4,
  /** median detection delay <= this share of the job's render time. */
  maxDetectionShare: 0.05,
} as const;

export interface Distribution {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  n: number;
}

export interface SideFigures {
  name: SideName;
  jobs: number;
  completed: number;
  /** First create sent -> last video stored (Reelay) or downloaded (naive), ms. */
  makespanMs: number;
  /** sum over the provider's jobs of (queue + render) wall-clock ms / cap: see `capacityBound`. */
  boundMs: number;
  /** The same with render time only (what the provider bills), for reference. */
  renderBoundMs: number;
  /** A zero-overhead FIFO dispatcher with the same jobs in the same order: the tail the bound ignores. */
  fifoIdealMs: number;
  makespanRatio: number;
  requests: number;
  requestsByOp: Record<string, number>;
  status429: number;
  rateLimited: number;
  concurrencyLimited: number;
  share429: number;
  /**
   * Per job, how often the side looked at its status: a retrieve of that job, or (Reelay with bulk status)
   * the job's entry in a list answer shared by every job in flight. From Reelay's records / the naive clients.
   */
  looks: Distribution;
  /** Status requests the provider served per job, (retrieve + list) / jobs. */
  statusRequestsPerJob: number;
  /**
   * The figure the polls target is judged on: the median of per-job retrieves when every look was a
   * retrieve of its own (then looks = retrieves per job), else the mean of `statusRequestsPerJob`, since a
   * list request serves many jobs at once and has no per-job median (the mean is the stricter of the two
   * for a right-skewed count).
   */
  polls: { value: number; basis: 'median' | 'mean' };
  /** Provider finished the render -> the side knew, ms. */
  detectionMs: Distribution;
  /** The same per job as a share of that job's render time. */
  detectionShare: Distribution;
  /** Wall-clock render time per job (ms), for scale. */
  renderMs: Distribution;
  /**
   * Where the provider capacity the makespan left unused went, as shares of the summed occupancy (so they
   * add up to makespan / bound - 1): held by Reelay between its fence and the create reaching the provider,
   * held after the render ended until Reelay saw it (its slot is only released then), and free (no
   * holder: hand-off between jobs, start, the tail, the last download). null where no slot is held by the
   * side (the naive client). `tail` is what the zero-overhead FIFO dispatcher leaves unused: the share of
   * `free` no dispatcher avoids with these jobs in this order.
   */
  capacity: {
    unused: number;
    heldBeforeCreate: number | null;
    heldAfterEnd: number | null;
    free: number;
    tail: number;
  };
  /** Most jobs queued or rendering at the provider at once. */
  peakInFlight: number;
  cap: number;
  submittedByWorker: number[] | null;
  /** null where the target does not apply. */
  pass: {
    makespan: boolean;
    rate429: boolean;
    polls: boolean;
    detection: boolean;
    caps: boolean | null;
  };
}

/** Nearest-rank percentile of a sorted array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? Number.NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean,
    n: sorted.length,
  };
}

/**
 * The time a job holds one of the provider's concurrency places: the simulator counts a job against
 * SIM_CONCURRENCY from its create until it completes (queued + in_progress), so the durations summed for
 * the bound are the provider's wall-clock queue wait plus render time of each job. No strategy can run the
 * provider's jobs faster than sum / cap; any real one also pays the tail (the last jobs end unevenly),
 * the detection delay (Reelay holds its slot until it has seen the end) and its own latencies.
 */
function occupancyMs(job: JobStats): number {
  return job.realQueueMs + job.realRenderMs;
}

/** Makespan of a dispatcher that starts each job, in the provider's creation order, the instant a place frees. */
function fifoIdeal(durations: readonly number[], cap: number): number {
  const slots = new Array<number>(Math.max(1, cap)).fill(0);
  for (const duration of durations) {
    let earliest = 0;
    for (let s = 1; s < slots.length; s++) if (slots[s]! < slots[earliest]!) earliest = s;
    slots[earliest]! += duration;
  }
  return Math.max(...slots);
}

/** Most intervals [created, finished) open at once. */
function peak(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(
    ([start, end]): Array<[number, number]> => [
      [start, 1],
      [end, -1],
    ],
  );
  // Ends before starts at the same instant: a place freed at t can be taken at t.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, delta] of edges) {
    open += delta;
    most = Math.max(most, open);
  }
  return most;
}

export function figures(run: SideRun, cap: number): SideFigures {
  const simJobs = run.sim.jobs;
  const byId = new Map(simJobs.map((job) => [job.id, job]));
  const completed = run.jobs.filter((j) => j.status === 'completed');
  const ends = completed.map((j) => j.doneAt).filter((t): t is number => t !== null);
  const makespanMs = ends.length > 0 ? Math.max(...ends) - run.startedAt : Number.NaN;

  const ordered = [...simJobs].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const boundMs = ordered.reduce((total, job) => total + occupancyMs(job), 0) / cap;
  const renderBoundMs = ordered.reduce((total, job) => total + job.realRenderMs, 0) / cap;
  const fifoIdealMs = fifoIdeal(ordered.map(occupancyMs), cap);

  const delays: number[] = [];
  const shares: number[] = [];
  let beforeCreateMs = 0;
  for (const job of completed) {
    const sim = job.providerJobId ? byId.get(job.providerJobId) : undefined;
    if (!sim) continue;
    if (job.submitAt !== null) beforeCreateMs += Math.max(0, Date.parse(sim.createdAt) - job.submitAt);
    if (!sim.finishedAt || job.detectedAt === null) continue;
    const delay = job.detectedAt - Date.parse(sim.finishedAt);
    delays.push(delay);
    shares.push(delay / sim.realRenderMs);
  }
  const occupancy = boundMs * cap;
  const holdsSlots = completed.some((job) => job.submitAt !== null);
  const unused = (makespanMs * cap - occupancy) / occupancy;
  const heldBeforeCreate = holdsSlots ? beforeCreateMs / occupancy : null;
  const heldAfterEnd = holdsSlots ? delays.reduce((a, b) => a + Math.max(0, b), 0) / occupancy : null;
  const capacity = {
    unused,
    heldBeforeCreate,
    heldAfterEnd,
    free: unused - (heldBeforeCreate ?? 0) - (heldAfterEnd ?? 0),
    tail: fifoIdealMs / boundMs - 1,
  };

  const { totals, ops } = run.sim;
  const requestsByOp = Object.fromEntries(
    Object.entries(ops).map(([op, counters]) => [op, counters?.requests ?? 0]),
  );
  const status429 = totals.statuses['429'] ?? 0;
  const share429 = totals.requests > 0 ? status429 / totals.requests : 0;
  const now = Date.now();
  const peakInFlight = peak(
    simJobs.map((job): [number, number] => [
      Date.parse(job.createdAt),
      job.finishedAt ? Date.parse(job.finishedAt) : now,
    ]),
  );
  const looks = distribution(completed.map((j) => j.polls));
  const lists = ops.list?.requests ?? 0;
  const statusRequestsPerJob = ((ops.retrieve?.requests ?? 0) + lists) / Math.max(1, run.jobs.length);
  const polls =
    lists === 0
      ? { value: looks.p50, basis: 'median' as const }
      : { value: statusRequestsPerJob, basis: 'mean' as const };
  const detectionShare = distribution(shares);
  const makespanRatio = makespanMs / boundMs;
  const caps =
    peakInFlight <= cap &&
    totals.concurrencyLimited === 0 &&
    (run.submittedByWorker === null || run.submittedByWorker.every((n) => n > 0));
  return {
    name: run.name,
    jobs: run.jobs.length,
    completed: completed.length,
    makespanMs,
    boundMs,
    renderBoundMs,
    fifoIdealMs,
    makespanRatio,
    capacity,
    requests: totals.requests,
    requestsByOp,
    status429,
    rateLimited: totals.rateLimited,
    concurrencyLimited: totals.concurrencyLimited,
    share429,
    looks,
    statusRequestsPerJob,
    polls,
    detectionMs: distribution(delays),
    detectionShare,
    renderMs: distribution(simJobs.map((job) => job.realRenderMs)),
    peakInFlight,
    cap,
    submittedByWorker: run.submittedByWorker,
    pass: {
      makespan: makespanRatio <= PIPELINE_TARGETS.maxMakespanRatio,
      rate429: share429 <= PIPELINE_TARGETS.max429Share,
      polls: polls.value <= PIPELINE_TARGETS.maxMedianPolls,
      detection: detectionShare.p50 <= PIPELINE_TARGETS.maxDetectionShare,
      caps: run.submittedByWorker === null ? null : caps,
    },
  };
}

const LABELS: Record<SideName, string> = { reelay: 'reelay (2 workers)', naive: 'naive (seed sample)' };
const OPS = ['create', 'retrieve', 'content', 'list'] as const;

/** One row per figure, one column per side, then the target: the issue's "side by side". */
export function pipelineTable(sides: SideFigures[]): string {
  const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
  const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} ms` : '-');
  const pct = (share: number, digits = 1) =>
    Number.isFinite(share) ? `${(share * 100).toFixed(digits)}%` : '-';
  const pctOrNa = (share: number | null) => (share === null ? 'n/a' : pct(share));
  const x = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(3)}x` : '-');
  const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? ' PASS' : ' FAIL');
  const perJob = (f: SideFigures, n: number) => (n / Math.max(1, f.jobs)).toFixed(2);
  const T = PIPELINE_TARGETS;
  const rows: Array<[string, (f: SideFigures) => string, string]> = [
    ['jobs completed', (f) => `${f.completed}/${f.jobs}`, 'all'],
    ['makespan (first create -> last stored)', (f) => s(f.makespanMs), ''],
    ['capacity bound (sum queue+render / cap)', (f) => s(f.boundMs), ''],
    [
      'makespan / bound',
      (f) => `${x(f.makespanRatio)}${verdict(f.pass.makespan)}`,
      `<= ${T.maxMakespanRatio}x`,
    ],
    ['  unused provider capacity (ratio - 1)', (f) => pct(f.capacity.unused), ''],
    ['    slot held, create on its way', (f) => pctOrNa(f.capacity.heldBeforeCreate), ''],
    ['    slot held, render over, not yet seen', (f) => pctOrNa(f.capacity.heldAfterEnd), ''],
    ['    slot free (hand-off, start, tail)', (f) => pct(f.capacity.free), ''],
    ['    tail of a zero-overhead FIFO dispatcher', (f) => pct(f.capacity.tail), 'context'],
    ['  render-only bound (sum render / cap)', (f) => s(f.renderBoundMs), 'context'],
    ['provider requests', (f) => String(f.requests), ''],
    ['  per job', (f) => perJob(f, f.requests), ''],
    [
      `  per job by op (${OPS.join('/')})`,
      (f) => OPS.map((op) => perJob(f, f.requestsByOp[op] ?? 0)).join('/'),
      '',
    ],
    [
      '429s (share of requests)',
      (f) => `${f.status429} (${pct(f.share429, 2)})${verdict(f.pass.rate429)}`,
      `<= ${pct(T.max429Share, 0)}`,
    ],
    ['  rate / concurrency 429s', (f) => `${f.rateLimited} / ${f.concurrencyLimited}`, ''],
    ['status looks per job p50 / p90 / max', (f) => `${f.looks.p50} / ${f.looks.p90} / ${f.looks.max}`, ''],
    ['status requests per job (retrieve+list)', (f) => f.statusRequestsPerJob.toFixed(2), ''],
    [
      'polls per job (judged)',
      (f) =>
        `${f.polls.basis === 'median' ? `${f.polls.value} (p50)` : `${f.polls.value.toFixed(2)} (mean)`}${verdict(f.pass.polls)}`,
      `p50 <= ${T.maxMedianPolls}`,
    ],
    [
      'detection delay p50 / p99 / mean',
      (f) => `${ms(f.detectionMs.p50)} / ${ms(f.detectionMs.p99)} / ${ms(f.detectionMs.mean)}`,
      '',
    ],
    [
      '  as share of render p50 / p99',
      (f) => `${pct(f.detectionShare.p50)} / ${pct(f.detectionShare.p99)}${verdict(f.pass.detection)}`,
      `p50 <= ${pct(T.maxDetectionShare, 0)}`,
    ],
    ['render time p50 (wall clock)', (f) => ms(f.renderMs.p50), 'context'],
    ['peak jobs at provider / cap', (f) => `${f.peakInFlight} / ${f.cap}`, ''],
    [
      'caps held by the worker processes',
      (f) =>
        f.submittedByWorker === null
          ? 'n/a'
          : `submits ${f.submittedByWorker.join(' + ')}${verdict(f.pass.caps)}`,
      'peak <= cap, 0 conc. 429s',
    ],
  ];
  const head = ['', ...sides.map((f) => LABELS[f.name]), 'target'];
  const body = rows.map(([label, cell, target]) => [label, ...sides.map(cell), target]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((line) => line[i]!.length)));
  const format = (line: string[]) =>
    line
      .map((cell, i) =>
        i === 0 || i === line.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  return [format(head), ...body.map(format)].join('\n');
}

/** The figures as plain JSON (rounded), for `--json`. */
export function figuresJson(f: SideFigures) {
  const r = (n: number, digits = 1) =>
    Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null;
  const dist = (d: Distribution, digits = 1) => ({
    p50: r(d.p50, digits),
    p90: r(d.p90, digits),
    p99: r(d.p99, digits),
    max: r(d.max, digits),
    mean: r(d.mean, digits),
    n: d.n,
  });
  return {
    side: f.name,
    jobs: f.jobs,
    completed: f.completed,
    makespanMs: r(f.makespanMs, 0),
    boundMs: r(f.boundMs, 0),
    renderBoundMs: r(f.renderBoundMs, 0),
    fifoIdealMs: r(f.fifoIdealMs, 0),
    makespanRatio: r(f.makespanRatio, 3),
    capacity: {
      unused: r(f.capacity.unused, 4),
      heldBeforeCreate: f.capacity.heldBeforeCreate === null ? null : r(f.capacity.heldBeforeCreate, 4),
      heldAfterEnd: f.capacity.heldAfterEnd === null ? null : r(f.capacity.heldAfterEnd, 4),
      free: r(f.capacity.free, 4),
      tail: r(f.capacity.tail, 4),
    },
    requests: f.requests,
    requestsPerJob: r(f.requests / Math.max(1, f.jobs), 2),
    requestsByOp: f.requestsByOp,
    status429: f.status429,
    rateLimited: f.rateLimited,
    concurrencyLimited: f.concurrencyLimited,
    share429: r(f.share429, 4),
    looks: dist(f.looks),
    statusRequestsPerJob: r(f.statusRequestsPerJob, 2),
    polls: { value: r(f.polls.value, 2), basis: f.polls.basis },
    detectionMs: dist(f.detectionMs),
    detectionShare: dist(f.detectionShare, 4),
    renderMs: dist(f.renderMs, 0),
    peakInFlight: f.peakInFlight,
    cap: f.cap,
    submittedByWorker: f.submittedByWorker,
    pass: f.pass,
  };
}
