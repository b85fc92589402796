import { Worker } from 'node:worker_threads';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  warmupS: number;
  body: string;
  headers: Record<string, string>;
  /** Give every request its own `Idempotency-Key` starting with this, or null for none. */
  idempotencyKeyPrefix: string | null;
}

export interface LoadResult {
  /** 2xx answers per second over the measured window. */
  rps: number;
  /** Latency of 2xx answers, milliseconds (sub-millisecond resolution). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  durationS: number;
  /** 2xx answers during the warm-up: the sanity check counts what they stored too. */
  warmupOk: number;
  /** The first non-2xx status and body, or the first connection error, to show why a run is invalid. */
  firstError: string | null;
}

export type WorkerMessage = { type: 'measuring' } | { type: 'result'; result: LoadResult };

/**
 * Runs autocannon in a worker thread: its own event loop, so the load generator never shares a thread
 * with the server under test (which stays on the main thread) and its timings are not skewed by it.
 * `onMeasureStart` is called when the warm-up is over, for CPU readings of the measured window alone.
 */
export function runLoad(options: LoadOptions, onMeasureStart: () => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: options });
    let result: LoadResult | undefined;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'measuring') onMeasureStart();
      else result = message.result;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`load worker exited with code ${code} and no result`));
    });
  });
}
