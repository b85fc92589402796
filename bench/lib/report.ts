import type { RowName } from './config.ts';
import type { LoadResult } from './load.ts';

/** The issue's targets for Reelay's create against the minimal route. */
export const TARGETS = { minRatio: 0.8, maxP99Ms: 10 } as const;

/** One measured run of one row. */
export interface RunResult extends LoadResult {
  /** Records (Reelay) or jobs (minimal) in Redis after the run: at least every 2xx's. */
  stored: number;
  /** Forks Redis made during the run (an AOF rewrite takes a core away: the run is suspect). */
  redisForks: number;
  /** Share of the machine's CPU other processes used during the run (see cpu.ts); null if unknown. */
  foreignCpu: number | null;
  /** Server (main thread) CPU microseconds per answered request in the measured window. */
  serverCpuUs: number;
  /** Redis CPU microseconds per answered request; null when Redis is not a process of this machine. */
  redisCpuUs: number | null;
}

export interface Row {
  name: RowName;
  /** The run reported for this row (see pick). */
  chosen: RunResult;
  runs: RunResult[];
  /** rps / the minimal row's rps; null for the minimal row itself or when it did not run. */
  ratio: number | null;
  /**
   * The minimal route's server CPU per request / this row's: the throughput ratio a CPU-bound server
   * would reach on a quiet machine. A cross-check for `ratio` that a busy neighbour moves much less.
   */
  cpuRatio: number | null;
  /** Against TARGETS; null for the reference rows, or when there is no minimal row to compare with. */
  pass: boolean | null;
}

/**
 * The run that stands for a row: among the runs the machine was quiet for (all of them if none was),
 * the median by throughput, the better one of the middle two for an even count (with the default 2
 * rounds, the better run), which discards one-off stalls on a 2-core box.
 */
export function pick(runs: RunResult[], busyShare: number): RunResult {
  const quiet = runs.filter((r) => (r.foreignCpu ?? 0) <= busyShare);
  const sorted = [...(quiet.length > 0 ? quiet : runs)].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function summarize(results: Map<RowName, RunResult[]>, busyShare: number): Row[] {
  const minimal = results.get('minimal');
  const baseline = minimal ? pick(minimal, busyShare) : null;
  return [...results].map(([name, runs]) => {
    const chosen = pick(runs, busyShare);
    const compared = name !== 'minimal' && baseline !== null;
    const ratio = compared ? chosen.rps / baseline.rps : null;
    const cpuRatio = compared ? baseline.serverCpuUs / chosen.serverCpuUs : null;
    // floor and job-as-record measure designs' own costs; they are not Reelay's endpoint: no target.
    const pass =
      ratio === null || name === 'floor' || name === 'job-as-record'
        ? null
        : ratio >= TARGETS.minRatio && chosen.p99 <= TARGETS.maxP99Ms;
    return { name, chosen, runs, ratio, cpuRatio, pass };
  });
}

const LABELS: Record<RowName, string> = {
  minimal: 'minimal (queue.add only)',
  floor: 'floor (queue.add + record)',
  'job-as-record': 'job as record (one queue.add)',
  reelay: 'reelay create',
  'reelay-idem': 'reelay create + Idempotency-Key',
};

/** A fixed-width table: one line per row, then every run so the noise is visible. */
export function table(rows: Row[], busyShare: number): string {
  const head = [
    '',
    'req/s',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'non-2xx',
    'errors',
    'api µs/req',
    'redis µs/req',
    'ratio',
    'cpu ratio',
    'target',
  ];
  const body = rows.map((row) => [
    LABELS[row.name],
    row.chosen.rps.toFixed(0),
    row.chosen.p50.toFixed(2),
    row.chosen.p90.toFixed(2),
    row.chosen.p99.toFixed(2),
    row.chosen.max.toFixed(1),
    String(sum(row.runs, (r) => r.non2xx)),
    String(sum(row.runs, (r) => r.errors)),
    row.chosen.serverCpuUs.toFixed(0),
    row.chosen.redisCpuUs === null ? '-' : row.chosen.redisCpuUs.toFixed(0),
    row.ratio === null ? '-' : `${row.ratio.toFixed(2)}x`,
    row.cpuRatio === null ? '-' : `${row.cpuRatio.toFixed(2)}x`,
    row.pass === null ? '-' : row.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((line) => line[i]!.length)));
  const format = (line: string[]) =>
    line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const runs = rows.map(
    (row) => `  ${LABELS[row.name]}: ${row.runs.map((r) => describe(r, busyShare)).join(' | ')}`,
  );
  return [
    format(head),
    ...body.map(format),
    '',
    'every run (the table shows the median by req/s of the quiet runs):',
    ...runs,
  ].join('\n');
}

function describe(run: RunResult, busyShare: number): string {
  const notes = [
    run.redisForks > 0 ? 'AOF rewrite' : '',
    (run.foreignCpu ?? 0) > busyShare ? `others took ${((run.foreignCpu ?? 0) * 100).toFixed(0)}% CPU` : '',
  ].filter(Boolean);
  return `${run.rps.toFixed(0)} req/s p99 ${run.p99.toFixed(2)} ms${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

export function sum<T>(items: T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}
