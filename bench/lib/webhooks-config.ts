import { cli, givenInfra, type S3Given } from './cli.ts';

export interface WebhooksBenchConfig {
  /** Jobs per run whose completion webhook goes to the healthy endpoint (the measured deliveries). */
  jobs: number;
  /** Jobs per run sent to the background endpoint first: never answering in run B, answering in run A. */
  deadJobs: number;
  /** B runs, each between two A runs: A B A for 1, A B A B A for 2 (A only, this many, without B). */
  rounds: number;
  /** Creates per second of the measured jobs; 0: as fast as the api takes them. */
  rate: number;
  /** SIM_TIME_FACTOR: 0.001 renders a 50 s sora-2 clip in 50 ms. */
  timeFactor: number;
  /** WEBHOOK_TIMEOUT_MS of the workers: how long a delivery to the dead endpoint holds its slot. */
  webhookTimeoutMs: number;
  workers: number;
  /** Extra worker environment (`--worker-env K=V,K=V`), e.g. WEBHOOK_ENDPOINT_CONCURRENCY, to try a setting. */
  workerEnv: Record<string, string>;
  /** Wall-clock limit per run, from the first create to the last webhook in. */
  timeoutS: number;
  json: boolean;
  /** `REDIS_URL`, or null to spawn a private redis-server. */
  redisUrl: string | null;
  /** `S3_ENDPOINT` and its credentials, or null to start the embedded S3 server. */
  s3: S3Given | null;
}

const USAGE = `usage: ./reelay bench webhooks [--jobs N] [--dead-jobs M] [--rounds R] [--rate R] [--time-factor F]
                                [--webhook-timeout MS] [--workers W] [--worker-env K=V,...] [--timeout S] [--json]
  --jobs             measured jobs per run, each with a webhook to a healthy loopback receiver (default 1000)
  --dead-jobs        background jobs per run, created and rendered before the measured ones: in run B their
                     webhooks go to an endpoint that accepts connections and never answers, in run A to one
                     that answers at once (default 250; 0 runs A only)
  --rounds           B runs, each run between two A runs: 1 is A B A, 2 is A B A B A; the table pools each
                     side, and the spread between A runs is the noise B is judged against (default 1)
  --rate             creates per second of the measured jobs, 0 for as fast as the api takes them (default 25,
                     about two thirds of what this 2-core machine renders and stores)
  --time-factor      simulator speed, SIM_TIME_FACTOR (default 0.001: a 50 s render takes 50 ms)
  --webhook-timeout  the workers' WEBHOOK_TIMEOUT_MS, per delivery attempt (default 2000)
  --workers          worker processes (default 2)
  --worker-env       extra worker settings, e.g. WEBHOOK_ENDPOINT_CONCURRENCY=16 (default none: the defaults)
  --timeout          wall-clock seconds a run may take before it is declared failed (default 120)
  --json             the figures as one JSON line on stdout (the table goes to stderr)
env: REDIS_URL, S3_ENDPOINT (+ S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) to use existing servers.`;

const { fail, flags, int } = cli('webhooks', USAGE);
const OPTIONS = {
  jobs: { type: 'string' },
  'dead-jobs': { type: 'string' },
  rounds: { type: 'string' },
  rate: { type: 'string' },
  'time-factor': { type: 'string' },
  'webhook-timeout': { type: 'string' },
  workers: { type: 'string' },
  'worker-env': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Flags, then defaults; the only place this bench reads `process.env`. */
export function loadWebhooksConfig(
  argv: string[],
  env: Record<string, string | undefined>,
): WebhooksBenchConfig {
  const values = flags(argv, OPTIONS);
  const timeFactor = Number(values['time-factor'] ?? 0.001);
  if (!(timeFactor >= 0.0001 && timeFactor <= 1)) {
    fail(`--time-factor must be a number from 0.0001 to 1 (got '${values['time-factor']}')`);
  }
  const workerEnv: Record<string, string> = {};
  for (const item of (values['worker-env'] ?? '').split(',').filter((i) => i.trim() !== '')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(item);
    if (!match) fail(`--worker-env: '${item}' is not KEY=VALUE`);
    workerEnv[match![1]!] = match![2]!.trim();
  }
  return {
    jobs: int('jobs', values.jobs, 1000, 1, 100_000),
    deadJobs: int('dead-jobs', values['dead-jobs'], 250, 0, 100_000),
    rounds: int('rounds', values.rounds, 1, 1, 20),
    rate: int('rate', values.rate, 25, 0, 100_000),
    timeFactor,
    // The env schema's floor is 100 ms.
    webhookTimeoutMs: int('webhook-timeout', values['webhook-timeout'], 2000, 100, 120_000),
    workers: int('workers', values.workers, 2, 1, 16),
    workerEnv,
    timeoutS: int('timeout', values.timeout, 120, 10, 24 * 3600),
    json: values.json,
    ...givenInfra(env),
  };
}
