import { cli, givenInfra, type S3Given } from './cli.ts';

export const SIDES = ['reelay', 'naive'] as const;
export type SideName = (typeof SIDES)[number];

export interface PipelineBenchConfig {
  jobs: number;
  /** SIM_TIME_FACTOR: wall-clock ms per simulated ms (0.02: a 50 s render takes 1 s). */
  timeFactor: number;
  /** Jobs queued or rendering at once per key: the simulator's SIM_CONCURRENCY and Reelay's account cap. */
  concurrency: number;
  /** Requests per key per *simulated* minute (SIM_RPM); Reelay's account gets the same rate in real minutes. */
  rpm: number;
  /** Clip lengths, cycled over the jobs. */
  seconds: string[];
  sides: SideName[];
  /** Wall-clock limit per side, from the first create to the last job finished. */
  timeoutS: number;
  json: boolean;
  /** `REDIS_URL`, or null to spawn a private redis-server. */
  redisUrl: string | null;
  /** `S3_ENDPOINT` and its credentials, or null to start the embedded S3 server. */
  s3: S3Given | null;
}

const USAGE = `usage: ./reelay bench pipeline [--jobs N] [--time-factor F] [--concurrency C] [--rpm R]
                                [--seconds 4,8,12] [--sides reelay,naive] [--timeout S] [--json]
  --jobs         jobs per side (default 300)
  --time-factor  simulator speed, SIM_TIME_FACTOR (default 0.02: a 50 s sora-2 render takes 1 s)
  --concurrency  provider cap on jobs queued or rendering per key (default 16); Reelay's account gets the same
  --rpm          provider requests per key per simulated minute (default 120); Reelay's account gets
                 the same rate per real minute (rpm / time factor)
  --seconds      clip lengths, cycled over the jobs (default 4,8,12)
  --sides        which sides to run, in this order (default reelay,naive)
  --timeout      wall-clock seconds a side may take before the run is declared failed (default 300)
  --json         the figures as one JSON line on stdout (the table goes to stderr)
env: REDIS_URL, S3_ENDPOINT (+ S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) to use existing servers.`;

const { fail, flags, int } = cli('pipeline', USAGE);
const OPTIONS = {
  jobs: { type: 'string' },
  'time-factor': { type: 'string' },
  concurrency: { type: 'string' },
  rpm: { type: 'string' },
  seconds: { type: 'string' },
  sides: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Flags, then defaults; the only place this bench reads `process.env`. */
export function loadPipelineConfig(
  argv: string[],
  env: Record<string, string | undefined>,
): PipelineBenchConfig {
  const values = flags(argv, OPTIONS);
  const sides = (values.sides ?? SIDES.join(',')).split(',').map((s) => s.trim());
  for (const side of sides) {
    if (!(SIDES as readonly string[]).includes(side))
      fail(`--sides: unknown side '${side}' (${SIDES.join(', ')})`);
  }
  const seconds = (values.seconds ?? '4,8,12').split(',').map((s) => s.trim());
  for (const s of seconds) {
    if (!['4', '8', '12', '16', '20'].includes(s)) fail(`--seconds: '${s}' is not one of 4, 8, 12, 16, 20`);
  }
  const timeFactor = Number(values['time-factor'] ?? 0.02);
  if (!(timeFactor >= 0.001 && timeFactor <= 1)) {
    fail(`--time-factor must be a number from 0.001 to 1 (got '${values['time-factor']}')`);
  }
  return {
    jobs: int('jobs', values.jobs, 300, 1, 100_000),
    timeFactor,
    concurrency: int('concurrency', values.concurrency, 16, 1, 10_000),
    rpm: int('rpm', values.rpm, 120, 1, 1_000_000),
    seconds,
    sides: sides as SideName[],
    timeoutS: int('timeout', values.timeout, 300, 10, 24 * 3600),
    json: values.json,
    ...givenInfra(env),
  };
}
