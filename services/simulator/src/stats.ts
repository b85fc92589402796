import type { FaultKind, Op } from './faults.ts';

// Counters for tests and benches (`GET /_sim/stats`): per operation and per bearer key, how many
// requests came, how many jobs were created, how many were turned away by each limit, how many got an
// injected fault, and the status codes answered.

export interface Counters {
  requests: number;
  creates: number;
  /** 429s from the per-key request rate. */
  rateLimited: number;
  /** 429s from the per-key cap on queued + in-progress jobs. */
  concurrencyLimited: number;
  /** Injected faults of any kind (a scripted or random 429 counts here, not above). */
  faults: number;
  /** Answers by HTTP status; a reset connection has none and is counted under `faults` only. */
  statuses: Record<string, number>;
}

type Field = Exclude<keyof Counters, 'statuses'>;

const empty = (): Counters => ({
  requests: 0,
  creates: 0,
  rateLimited: 0,
  concurrencyLimited: 0,
  faults: 0,
  statuses: {},
});

export class Stats {
  private ops = new Map<Op, Counters>();
  private keys = new Map<string, Counters>();
  private faultKinds = new Map<FaultKind, number>();
  private since = Date.now();

  bump(op: Op, key: string | null, field: Field): void {
    this.counters(op, key, (c) => {
      c[field] += 1;
    });
  }

  status(op: Op, key: string | null, status: number): void {
    this.counters(op, key, (c) => {
      c.statuses[status] = (c.statuses[status] ?? 0) + 1;
    });
  }

  fault(op: Op, key: string, kind: FaultKind): void {
    this.bump(op, key, 'faults');
    this.faultKinds.set(kind, (this.faultKinds.get(kind) ?? 0) + 1);
  }

  private counters(op: Op, key: string | null, update: (counters: Counters) => void): void {
    update(entry(this.ops, op));
    if (key !== null) update(entry(this.keys, key));
  }

  snapshot(): {
    since: string;
    totals: Counters;
    ops: Partial<Record<Op, Counters>>;
    keys: Record<string, Counters>;
    faultKinds: Partial<Record<FaultKind, number>>;
  } {
    const totals = empty();
    for (const c of this.ops.values()) {
      for (const field of ['requests', 'creates', 'rateLimited', 'concurrencyLimited', 'faults'] as const) {
        totals[field] += c[field];
      }
      for (const [status, n] of Object.entries(c.statuses))
        totals.statuses[status] = (totals.statuses[status] ?? 0) + n;
    }
    return {
      since: new Date(this.since).toISOString(),
      totals,
      ops: Object.fromEntries(this.ops),
      keys: Object.fromEntries(this.keys),
      faultKinds: Object.fromEntries(this.faultKinds),
    };
  }

  clear(): void {
    this.ops = new Map();
    this.keys = new Map();
    this.faultKinds = new Map();
    this.since = Date.now();
  }
}

function entry<K>(map: Map<K, Counters>, key: K): Counters {
  let counters = map.get(key);
  if (!counters) {
    counters = empty();
    map.set(key, counters);
  }
  return counters;
}
