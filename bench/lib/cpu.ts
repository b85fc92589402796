import { readFileSync } from 'node:fs';

// Linux clock ticks per second for /proc times (USER_HZ); 100 on every mainstream kernel.
const TICKS_PER_S = 100;

/** CPU seconds so far: the whole machine (busy and total over all cores), this process, Redis. */
export interface CpuSample {
  machineBusy: number;
  machineTotal: number;
  self: number;
  redis: number;
}

/**
 * A reading for `foreignShare`, or null where /proc is not there (not Linux): the bench then simply
 * cannot tell whether something else was running.
 */
export function sampleCpu(redisPid: number | null): CpuSample | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    const usage = process.cpuUsage();
    return {
      machineBusy: busy / TICKS_PER_S,
      machineTotal: (busy + idle + iowait) / TICKS_PER_S,
      self: (usage.user + usage.system) / 1e6,
      redis: redisPid === null ? 0 : processSeconds(redisPid),
    };
  } catch {
    return null;
  }
}

/**
 * The share of the machine's CPU that processes other than this one and Redis used between two
 * samples. On a 2-core box a neighbour (a test run, a build) easily takes a third of the capacity,
 * which would be read as Reelay's or the baseline's cost: a run with a high share is not comparable.
 */
export function foreignShare(before: CpuSample | null, after: CpuSample | null): number | null {
  if (!before || !after) return null;
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return null;
  const ours = after.self - before.self + (after.redis - before.redis);
  return Math.max(0, (after.machineBusy - before.machineBusy - ours) / total);
}

/** 0 for a process this machine cannot see (a Redis elsewhere costs this machine nothing). */
function processSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after the command name (which may contain spaces) start at state, field 3; utime and stime
  // are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S;
}

/**
 * Waits, up to `maxWaitMs`, for a second in which other processes use less than `share` of the CPU, so
 * a run does not start in the middle of a neighbour's burst. Returns whether it got one.
 */
export async function waitForQuiet(
  redisPid: number | null,
  share: number,
  maxWaitMs: number,
): Promise<boolean> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const before = sampleCpu(redisPid);
    await new Promise((r) => setTimeout(r, 1_000));
    const foreign = foreignShare(before, sampleCpu(redisPid));
    if (foreign === null || foreign < share) return true;
    if (Date.now() > deadline) return false;
  }
}
