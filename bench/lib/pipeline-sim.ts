import type { SimStats } from '@reelay/simulator';
import { type Child, spawnService } from './pipeline-procs.ts';

export interface SimSettings {
  timeFactor: number;
  concurrency: number;
  /** Per simulated minute. */
  rpm: number;
}

export interface SimChild {
  /** Base URL, e.g. http://127.0.0.1:41234; the wire is at `${url}/v1`. */
  url: string;
  process: Child;
  /** `GET /_sim/stats?hash=0`: counters and per-job timings, without hashing every video. */
  stats(): Promise<SimStats>;
  close(): Promise<void>;
}

/**
 * The simulator as a child process, as the brief of the bench wants: its CPU is its own (not the bench's
 * event loop, which runs the naive clients or the api), like a real provider's would be. It prints its
 * URL on the 'simulator listening' line, since it picks a free port.
 */
export async function startSimChild(settings: SimSettings): Promise<SimChild> {
  const child = spawnService('simulator', 'services/simulator/src/main.ts', {
    SIM_HOST: '127.0.0.1',
    SIM_PORT: '0',
    SIM_TIME_FACTOR: String(settings.timeFactor),
    SIM_CONCURRENCY: String(settings.concurrency),
    SIM_RPM: String(settings.rpm),
    // Fixed: the same render-time draws for the same job ids, and no random faults (all rates 0).
    SIM_SEED: 'reelay-bench',
    // 'simulator listening' is an info line; request logging is off in the simulator anyway.
    LOG_LEVEL: 'info',
  });
  try {
    const line = await child.waitFor('simulator listening', 30_000);
    const url = String(line.url);
    return {
      url,
      process: child,
      async stats() {
        const response = await fetch(`${url}/_sim/stats?hash=0`);
        if (!response.ok) throw new Error(`simulator stats: HTTP ${response.status}`);
        return (await response.json()) as SimStats;
      },
      close: () => child.stop(5_000),
    };
  } catch (error) {
    await child.stop(2_000);
    throw error;
  }
}
