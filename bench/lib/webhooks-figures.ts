import type { RunKind, RunResult } from './webhooks-run.ts';

/** Issue 5's targets, and the margins within which B counts as "no measurable delay" over A. */
export const WEBHOOK_TARGETS = {
  /** Record's completedAt -> first attempt at the receiver, healthy endpoint, p99. */
  maxP99Ms: 250,
  /**
   * B's p50 / p99 may exceed A's by the larger of this and the spread between the A runs: a p99 over
   * 1,000 deliveries is the 10th slowest, which moves by 10-20 ms between identical runs on a 2-core
   * machine where six processes share the cores; a p50 of a few ms moves by one or two.
   */
  isolationMarginMs: { p50: 5, p99: 20 },
} as const;

export interface Latency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface SideFigures {
  kind: RunKind;
  runs: RunResult[];
  /** All runs of the side pooled. */
  latency: Latency | null;
  perRun: Array<Latency | null>;
}

/** completedAt -> first arrival, for every measured job that has both. */
export function delays(run: RunResult): number[] {
  return run.jobs
    .filter((j) => j.completedAt !== null && j.arrivals.length > 0)
    .map((j) => Math.min(...j.arrivals) - j.completedAt!);
}

export function latency(values: number[]): Latency | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: p99 of 1,000 is the 990th value.
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((t, v) => t + v, 0) / sorted.length,
  };
}

export function sideFigures(kind: RunKind, runs: RunResult[]): SideFigures {
  const mine = runs.filter((r) => r.kind === kind);
  return {
    kind,
    runs: mine,
    latency: latency(mine.flatMap(delays)),
    perRun: mine.map((r) => latency(delays(r))),
  };
}

/** What makes a run's figures meaningless: lost, duplicated or badly signed webhooks, failed jobs. */
export function invalidReasons(run: RunResult): string[] {
  const reasons: string[] = [];
  if (run.timedOut) reasons.push('did not finish within --timeout');
  const notCompleted = run.jobs.filter((j) => j.status !== 'completed');
  if (notCompleted.length > 0) {
    reasons.push(`${notCompleted.length} measured jobs not completed (first: ${notCompleted[0]!.status})`);
  }
  if (run.backgroundNotCompleted > 0)
    reasons.push(`${run.backgroundNotCompleted} background jobs not completed`);
  const missing = run.jobs.filter((j) => j.arrivals.length === 0).length;
  const twice = run.jobs.filter((j) => j.arrivals.length > 1).length;
  if (missing > 0) reasons.push(`${missing} measured jobs' webhooks never arrived`);
  if (twice > 0) reasons.push(`${twice} measured jobs' webhooks arrived more than once`);
  if (run.strays > 0) reasons.push(`${run.strays} requests to the healthy endpoint for no measured job`);
  if (run.badSignatures.length > 0) {
    reasons.push(
      `${run.badSignatures.length}/${run.verified} signatures did not verify: ${run.badSignatures[0]}`,
    );
  }
  return reasons;
}

export interface Isolation {
  /** B - A, pooled. */
  diff: { p50: number; p99: number };
  ratio: { p50: number; p99: number };
  /** The largest difference between two A runs (null with one A run). */
  spreadA: { p50: number; p99: number } | null;
  allowed: { p50: number; p99: number };
  pass: boolean;
}

export function isolation(a: SideFigures, b: SideFigures): Isolation | null {
  if (!a.latency || !b.latency) return null;
  const aRuns = a.perRun.filter((l): l is Latency => l !== null);
  const spread = (pick: (l: Latency) => number) =>
    Math.max(...aRuns.map(pick)) - Math.min(...aRuns.map(pick));
  const spreadA = aRuns.length >= 2 ? { p50: spread((l) => l.p50), p99: spread((l) => l.p99) } : null;
  const margin = WEBHOOK_TARGETS.isolationMarginMs;
  const allowed = {
    p50: Math.max(margin.p50, spreadA?.p50 ?? 0),
    p99: Math.max(margin.p99, spreadA?.p99 ?? 0),
  };
  const diff = { p50: b.latency.p50 - a.latency.p50, p99: b.latency.p99 - a.latency.p99 };
  return {
    diff,
    ratio: { p50: b.latency.p50 / a.latency.p50, p99: b.latency.p99 / a.latency.p99 },
    spreadA,
    allowed,
    pass: diff.p50 <= allowed.p50 && diff.p99 <= allowed.p99,
  };
}

const ms = (n: number) => n.toFixed(0);

/** The side-by-side table: one line per side (pooled), then one per run. */
export function webhooksTable(sides: SideFigures[], iso: Isolation | null): string {
  const head = ['', 'webhooks', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean ms', 'vs A p50', 'vs A p99'];
  const label: Record<RunKind, string> = {
    A: 'A: healthy endpoint alone',
    B: 'B: same, + dead endpoint backlog',
  };
  const line = (name: string, l: Latency | null, vs: [string, string]) =>
    l
      ? [name, String(l.count), ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max), l.mean.toFixed(1), ...vs]
      : [name, '0', '-', '-', '-', '-', '-', '-', '-'];
  const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(0)} ms`;
  const body: string[][] = [];
  for (const side of sides) {
    const vs: [string, string] =
      side.kind === 'B' && iso
        ? [
            `${signed(iso.diff.p50)} (${iso.ratio.p50.toFixed(2)}x)`,
            `${signed(iso.diff.p99)} (${iso.ratio.p99.toFixed(2)}x)`,
          ]
        : ['-', '-'];
    body.push(
      line(
        `${label[side.kind]}${side.runs.length > 1 ? ` (${side.runs.length} runs pooled)` : ''}`,
        side.latency,
        vs,
      ),
    );
    if (side.runs.length > 1) {
      side.perRun.forEach((l, i) => {
        body.push(line(`  run ${side.kind}${i + 1}`, l, ['', '']));
      });
    }
  }
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((row) => row[i]!.length)));
  const format = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [format(head), ...body.map(format)].join('\n');
}

/** Where a delivery's time goes, from its BullMQ job's timestamps (worker clocks, same machine). */
export interface Breakdown {
  /** completedAt -> the notifier's enqueue. */
  notify: Latency | null;
  /** Enqueued -> a webhook worker took it, for jobs taken once (never sent back by the endpoint cap). */
  pickup: Latency | null;
  /** Taken -> the request at the receiver (record, endpoint state, slot, presign, sign, POST), same jobs. */
  send: Latency | null;
  /** Jobs the endpoint's in-flight cap sent back at least once, and their completedAt -> arrival. */
  bounced: number;
  bouncedLatency: Latency | null;
  /** Times sent back, over all jobs. */
  bounces: number;
  jobs: number;
}

export function breakdown(runs: RunResult[]): Breakdown {
  const jobs = runs
    .flatMap((r) => r.jobs)
    .filter((j) => j.delivery && j.completedAt !== null && j.arrivals.length > 0);
  const once = jobs.filter((j) => j.delivery!.starts === 1);
  const bounced = jobs.filter((j) => j.delivery!.starts > 1);
  return {
    notify: latency(jobs.map((j) => j.delivery!.enqueuedAt - j.completedAt!)),
    pickup: latency(once.map((j) => j.delivery!.activeAt - j.delivery!.enqueuedAt)),
    send: latency(once.map((j) => Math.min(...j.arrivals) - j.delivery!.activeAt)),
    bounced: bounced.length,
    bouncedLatency: latency(bounced.map((j) => Math.min(...j.arrivals) - j.completedAt!)),
    bounces: jobs.reduce((t, j) => t + j.delivery!.starts - 1, 0),
    jobs: jobs.length,
  };
}

/** One line per side: p50 / p99 of each part, and how many deliveries met the endpoint cap. */
export function breakdownTable(sides: SideFigures[]): string {
  const head = [
    '',
    'notify p50/p99',
    'pickup p50/p99',
    'send p50/p99',
    'sent back by cap',
    'their delay p50/p99',
  ];
  const pair = (l: Latency | null) => (l ? `${ms(l.p50)} / ${ms(l.p99)} ms` : '-');
  const body = sides.map((side) => {
    const b = breakdown(side.runs);
    return [
      `run${side.runs.length > 1 ? 's' : ''} ${side.kind}`,
      pair(b.notify),
      pair(b.pickup),
      pair(b.send),
      `${b.bounced}/${b.jobs} (${b.bounces} times)`,
      pair(b.bouncedLatency),
    ];
  });
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((row) => row[i]!.length)));
  const format = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [format(head), ...body.map(format)].join('\n');
}
