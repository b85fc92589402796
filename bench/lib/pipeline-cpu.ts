import { type CpuSample, sampleCpu } from './cpu.ts';
import { processCpuSeconds } from './pipeline-procs.ts';
import type { CpuUse } from './pipeline-run.ts';

interface Reading {
  machine: CpuSample | null;
  simulator: number;
  workers: number;
  at: number;
}

/**
 * CPU over one side, per process: the bench's own, the simulator's, the workers', Redis's, and what the
 * rest of the machine used. On a 2-core box shared with other work, a side during which a neighbour took
 * a core has slower detection and a longer makespan for reasons that are not Reelay's: the report says so.
 */
export class CpuMeter {
  private readonly redisPid: number | null;
  private readonly pids: () => { simulator: number; workers: number[] };
  private start: Reading | null = null;

  constructor(redisPid: number | null, pids: () => { simulator: number; workers: number[] }) {
    this.redisPid = redisPid;
    this.pids = pids;
  }

  private read(): Reading {
    const { simulator, workers } = this.pids();
    return {
      machine: sampleCpu(this.redisPid),
      simulator: processCpuSeconds(simulator),
      workers: workers.reduce((total, pid) => total + processCpuSeconds(pid), 0),
      at: Date.now(),
    };
  }

  begin(): void {
    this.start = this.read();
  }

  end(): CpuUse {
    const start = this.start ?? this.read();
    const now = this.read();
    const bench = start.machine && now.machine ? now.machine.self - start.machine.self : 0;
    const redis =
      this.redisPid !== null && start.machine && now.machine ? now.machine.redis - start.machine.redis : null;
    const simulator = now.simulator - start.simulator;
    const workers = now.workers - start.workers;
    let foreignShare: number | null = null;
    if (start.machine && now.machine) {
      const total = now.machine.machineTotal - start.machine.machineTotal;
      const busy = now.machine.machineBusy - start.machine.machineBusy;
      const ours = bench + simulator + workers + (redis ?? 0);
      if (total > 0) foreignShare = Math.max(0, (busy - ours) / total);
    }
    return { bench, simulator, workers, redis, foreignShare, wallS: (now.at - start.at) / 1000 };
  }
}
