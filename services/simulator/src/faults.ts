import { z } from 'zod';
import type { SimulatorConfig } from './env.ts';
import { errorBody } from './errors.ts';
import { errorInside200, type Flavor } from './flavors.ts';
import { retryHeaders } from './limits.ts';
import { seededRandom } from './random.ts';

// Fault injection, two ways. Tests script exact faults through `POST /_sim/faults` (consumed FIFO by
// the first matching requests, so "the next 2 creates get a 503" is deterministic); load runs set
// SIM_FAULT_*_RATE for background noise, drawn from a generator seeded by SIM_SEED.

export const OPS = ['create', 'retrieve', 'list', 'content', 'delete', 'remix'] as const;
export type Op = (typeof OPS)[number];

export const FAULT_KINDS = ['500', '503', '429', 'reset', 'slow', 'truncate', 'error200'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultSpecSchema = z
  .object({
    /** Which operation it hits; `any` matches every wire request. */
    op: z.enum([...OPS, 'any']).default('any'),
    kind: z.enum(FAULT_KINDS),
    /** How many matching requests it hits before it is used up. */
    count: z.int().min(1).max(1_000_000).default(1),
    /** `slow`: how long the answer is held; `429`/`503`: the retry-after it advertises. Wall-clock ms. */
    delayMs: z.int().min(0).max(600_000).default(1000),
    /** `truncate`: share of the body sent before the connection drops. */
    fraction: z.number().gt(0).lt(1).default(0.5),
    /**
     * 500/503/429/reset/error200 only: perform the operation first, then answer with the fault (a create
     * that did create a job, but the client never learnt it). Default: fail before doing anything.
     */
    after: z.boolean().default(false),
    /** Only requests made with this bearer key. */
    key: z.string().min(1).optional(),
  })
  .strict();

export type FaultSpec = z.infer<typeof faultSpecSchema>;

export interface Fault {
  kind: FaultKind;
  delayMs: number;
  fraction: number;
  after: boolean;
  source: 'scripted' | 'random';
}

interface Scripted extends FaultSpec {
  remaining: number;
}

export class FaultInjector {
  private readonly config: SimulatorConfig;
  private queue: Scripted[] = [];
  private random: () => number;

  constructor(config: SimulatorConfig) {
    this.config = config;
    this.random = seededRandom(config.SIM_SEED, 'faults');
  }

  add(specs: FaultSpec[]): void {
    for (const spec of specs) this.queue.push({ ...spec, remaining: spec.count });
  }

  pending(): FaultSpec[] {
    return this.queue.map(({ remaining, ...spec }) => ({ ...spec, count: remaining }));
  }

  clear(): void {
    this.queue = [];
    this.random = seededRandom(this.config.SIM_SEED, 'faults');
  }

  /** The fault for this request, if any: the first matching scripted one, else a random draw. */
  take(op: Op, key: string, flavor: Flavor): Fault | null {
    const index = this.queue.findIndex(
      (entry) => (entry.op === 'any' || entry.op === op) && (entry.key === undefined || entry.key === key),
    );
    const entry = this.queue[index];
    if (entry) {
      entry.remaining -= 1;
      if (entry.remaining === 0) this.queue.splice(index, 1);
      const { kind, delayMs, fraction, after } = entry;
      return {
        kind,
        delayMs,
        fraction,
        after: after && kind !== 'slow' && kind !== 'truncate',
        source: 'scripted',
      };
    }
    return this.draw(op, flavor);
  }

  private draw(op: Op, flavor: Flavor): Fault | null {
    const c = this.config;
    // One draw per candidate, in a fixed order, so the sequence is reproducible for a given request order.
    const candidates: Array<[FaultKind, number]> = [
      ['429', c.SIM_FAULT_429_RATE],
      [this.random() < 0.5 ? '500' : '503', c.SIM_FAULT_5XX_RATE],
      ['reset', c.SIM_FAULT_RESET_RATE],
      ['slow', c.SIM_FAULT_SLOW_RATE],
      ['truncate', op === 'content' ? c.SIM_FAULT_TRUNCATE_RATE : 0],
      ['error200', flavor === 'newapi' && op !== 'content' ? c.SIM_FAULT_ERROR200_RATE : 0],
    ];
    for (const [kind, rate] of candidates) {
      if (rate > 0 && this.random() < rate) {
        return { kind, delayMs: c.SIM_FAULT_SLOW_MS, fraction: 0.5, after: false, source: 'random' };
      }
    }
    return null;
  }
}

export interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The answer a 500/503/429/error200 fault gives instead of the real one. */
export function cannedResponse(fault: Fault, flavor: Flavor): CannedResponse {
  switch (fault.kind) {
    case '503':
      return {
        status: 503,
        headers: retryHeaders(fault.delayMs),
        body: errorBody('The server is overloaded or not ready yet.', 'server_error', null, null),
      };
    case '429':
      return {
        status: 429,
        headers: retryHeaders(fault.delayMs),
        body: errorBody(
          'Rate limit reached (simulated). Please retry later.',
          'requests',
          null,
          'rate_limit_exceeded',
        ),
      };
    case 'error200':
      return { status: 200, headers: {}, body: errorInside200(flavor) };
    default:
      return {
        status: 500,
        headers: {},
        body: errorBody(
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
          null,
          null,
        ),
      };
  }
}
