import { cli, givenInfra, type S3Given } from './cli.ts';

export const ROWS = ['minimal', 'floor', 'job-as-record', 'reelay', 'reelay-idem'] as const;
export type RowName = (typeof ROWS)[number];
const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface BenchConfig {
  connections: number;
  /** Measured seconds per run. */
  durationS: number;
  /** Unmeasured seconds before each run: JIT, connection pools and Redis scripts get warm. */
  warmupS: number;
  /** How many times each row runs; each round reverses the previous order (A B, B A, ...). */
  rounds: number;
  rows: RowName[];
  /**
   * Reelay's log level under load (`silent` by default, like the other rows, which log nothing). Any
   * other level writes the api's JSON lines to /dev/null through pino's synchronous destination, as it
   * writes to stdout in production: what producing them costs the api.
   */
  logLevel: LogLevel;
  json: boolean;
  /** `REDIS_URL`, or null to spawn a private redis-server. */
  redisUrl: string | null;
  /** `S3_ENDPOINT` and its credentials, or null to start the embedded S3 server. */
  s3: S3Given | null;
}

const USAGE = `usage: ./reelay bench api-create [--connections N] [--duration S] [--warmup S] [--rounds N]
                                  [--rows minimal,floor,job-as-record,reelay,reelay-idem]
                                  [--log-level silent|info|...] [--json]
  --connections  concurrent connections (default 64)
  --duration     measured seconds per run (default 10), after --warmup seconds (default 3)
  --rounds       runs per row, in alternating order; the table shows the median (default 2)
  --rows         which rows to run (default all five). No target on floor (the minimal route + Reelay's
                 record) or job-as-record (one queue.add carrying the whole video)
  --log-level    Reelay's LOG_LEVEL under load (default silent; the other rows log nothing). Other
                 levels write its log lines to /dev/null the way it writes them to stdout
  --json         the figures as one JSON line on stdout (the table goes to stderr)
env: REDIS_URL, S3_ENDPOINT (+ S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) to use existing servers;
     BENCH_CONNECTIONS, BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_ROUNDS as defaults for the flags.`;

const { fail, flags, int } = cli('api-create', USAGE);
const OPTIONS = {
  connections: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  rounds: { type: 'string' },
  rows: { type: 'string' },
  'log-level': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Flags first, then `BENCH_*` variables, then defaults. The only place the bench reads `process.env`. */
export function loadConfig(argv: string[], env: Record<string, string | undefined>): BenchConfig {
  const values = flags(argv, OPTIONS);
  const rows = (values.rows ?? ROWS.join(',')).split(',').map((r) => r.trim());
  for (const row of rows) {
    if (!(ROWS as readonly string[]).includes(row)) fail(`--rows: unknown row '${row}' (${ROWS.join(', ')})`);
  }
  const logLevel = values['log-level'] ?? 'silent';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    fail(`--log-level: unknown level '${logLevel}' (${LOG_LEVELS.join(', ')})`);
  return {
    // 64 connections is the load; 10 s per run keeps a full A B A B under two minutes.
    connections: int('connections', values.connections ?? env.BENCH_CONNECTIONS, 64, 1, 4096),
    durationS: int('duration', values.duration ?? env.BENCH_DURATION_S, 10, 1, 600),
    warmupS: int('warmup', values.warmup ?? env.BENCH_WARMUP_S, 3, 0, 60),
    rounds: int('rounds', values.rounds ?? env.BENCH_ROUNDS, 2, 1, 20),
    rows: rows as RowName[],
    logLevel: logLevel as LogLevel,
    json: values.json,
    ...givenInfra(env),
  };
}
