// Worker-thread side of load.ts: one warm-up and one measured autocannon run, summarized.
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult, WorkerMessage } from './load.ts';

const options = workerData as LoadOptions;
let sequence = 0;
let firstError: string | null = null;

const request: autocannon.Request = {
  method: 'POST',
  path: new URL(options.url).pathname,
  headers: { 'content-type': 'application/json', ...options.headers },
  body: options.body,
  // Only kept for the first failure: a valid run has none.
  onResponse: (status, body) => {
    if (status >= 300 && firstError === null) firstError = `HTTP ${status}: ${body.slice(0, 500)}`;
  },
};
const prefix = options.idempotencyKeyPrefix;
if (prefix !== null) {
  // A new key per request is the realistic path: a client sends one per logical create.
  request.setupRequest = (req) => ({
    ...req,
    headers: { ...req.headers, 'idempotency-key': `${prefix}-${++sequence}` },
  });
}

interface Measured {
  ok: number;
  non2xx: number;
  errors: number;
  durationS: number;
  latencies: number[];
}

function run(durationS: number): Promise<Measured> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: durationS,
        requests: [request],
      },
      (error, result) => {
        if (error) reject(error);
        else
          resolve({
            ok: result['2xx'],
            non2xx: result.non2xx,
            errors: result.errors,
            durationS: result.duration,
            latencies,
          });
      },
    );
    // autocannon's own histogram has 1 ms resolution; the raw timings (float ms) give the real p50/p99.
    instance.on('response', (_client, status: number, _bytes, responseTime: number) => {
      if (status >= 200 && status < 300) latencies.push(responseTime);
    });
    instance.on('reqError', (error: Error) => {
      firstError ??= `request error: ${error.message}`;
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const warmup = options.warmupS > 0 ? await run(options.warmupS) : null;
post({ type: 'measuring' });
const measured = await run(options.durationS);
const sorted = Float64Array.from(measured.latencies).sort();
const values = Array.from(sorted);
const result: LoadResult = {
  rps: measured.ok / measured.durationS,
  p50: percentile(values, 50),
  p90: percentile(values, 90),
  p99: percentile(values, 99),
  max: values.at(-1) ?? Number.NaN,
  ok: measured.ok,
  non2xx: measured.non2xx + (warmup?.non2xx ?? 0),
  errors: measured.errors + (warmup?.errors ?? 0),
  durationS: measured.durationS,
  warmupOk: warmup?.ok ?? 0,
  firstError,
};
post({ type: 'result', result });
