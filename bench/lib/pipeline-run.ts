import type { SimStats } from '@reelay/simulator';
import type { SideName } from './pipeline-config.ts';

/** What one side saw of one job, in wall-clock epoch ms. */
export interface JobObservation {
  /** The provider's job id (null when the job never reached the provider). */
  providerJobId: string | null;
  status: string;
  /** When the bench sent the create (to Reelay's api, or the naive client's to the provider). */
  createSentAt: number;
  /**
   * Reelay: when the worker, holding a slot already, fenced and sent the create (`submitStartedAt`), for
   * the slot accounting; null for the naive client, which holds no slot of its own.
   */
  submitAt: number | null;
  /** When the side learnt that the render was done (see the side for how that is taken). */
  detectedAt: number | null;
  /** When the job's video was stored (Reelay: in S3) or downloaded (naive). */
  doneAt: number | null;
  /** Status requests sent for this job (Reelay: its record's count, which leaves out refused ones). */
  polls: number;
  error: string | null;
}

/** Per-process CPU seconds over a side, from /proc; null where not known. */
export interface CpuUse {
  /** The bench process (naive clients, or the in-process api). */
  bench: number;
  simulator: number;
  /** Sum over the worker processes (Reelay side only). */
  workers: number;
  /** null when Redis is not a process of this machine. */
  redis: number | null;
  /** Everything else on the machine, as a share of all cores: a busy neighbour skews wall-clock figures. */
  foreignShare: number | null;
  wallS: number;
}

export interface SideRun {
  name: SideName;
  /** The first create sent: makespan starts here. */
  startedAt: number;
  jobs: JobObservation[];
  sim: SimStats;
  cpu: CpuUse;
  /** Side-specific facts for the report, e.g. jobs submitted by each worker process. */
  notes: string[];
  /** Per worker process: jobs it submitted to the provider (Reelay only). */
  submittedByWorker: number[] | null;
  /** How the detection instant was taken, and for how many jobs each way. */
  detectionSource: string;
  /** Log lines at warn and above from the side's processes (empty on a clean run). */
  problems: string[];
  timedOut: boolean;
}
