import { randomBytes } from 'node:crypto';
import type { Model, Seconds, Size } from './catalog.ts';
import type { Directives } from './directives.ts';
import { invalid, videoNotFound } from './errors.ts';
import type { Flavor } from './flavors.ts';
import { type Phase, type Plan, phaseAt } from './timing.ts';

// The job table, in memory: the simulator is a test double, a restart forgets everything, as a
// provider's expired jobs would be. Jobs belong to the bearer key that created them; every lookup goes
// through the key, so another tenant's id is a 404, never a 403 that would confirm it exists.

export interface Job {
  id: string;
  key: string;
  /** Creation order, the list cursor's sort key (ids are random). */
  seq: number;
  /** The flavor of the path it was created on; reads answer in the flavor of the path they use. */
  flavor: Flavor;
  prompt: string;
  model: Model;
  size: Size;
  seconds: Seconds;
  remixedFrom: string | null;
  inputReference: 'file' | 'image_url' | 'file_id' | null;
  /** Wall-clock epoch ms. */
  createdAt: number;
  plan: Plan;
  directives: Directives;
  deletedAt: number | null;
}

export type NewJob = Omit<Job, 'seq' | 'deletedAt'>;

export interface PageQuery {
  limit: number;
  order: 'asc' | 'desc';
  after?: string | undefined;
}

/** OpenAI ids are `video_` + 48 hex; new-api gateways hand out `task_...`. */
export const newJobId = (flavor: Flavor) =>
  flavor === 'newapi'
    ? `task_${randomBytes(16).toString('hex')}`
    : `video_${randomBytes(24).toString('hex')}`;

export class JobStore {
  private readonly byId = new Map<string, Job>();
  /** Per key, in creation order, deleted jobs included so that a cursor on one still works. */
  private readonly byKey = new Map<string, Job[]>();
  /** Per key, jobs that may still be queued or rendering; pruned lazily by `active()`. */
  private readonly pending = new Map<string, Set<Job>>();
  private seq = 0;

  add(fields: NewJob): Job {
    const job: Job = { ...fields, seq: ++this.seq, deletedAt: null };
    this.byId.set(job.id, job);
    listFor(this.byKey, job.key, () => []).push(job);
    listFor(this.pending, job.key, () => new Set()).add(job);
    return job;
  }

  /** The caller's job, or a 404 (unknown id, another key's job, or deleted). */
  find(id: string, key: string): Job {
    const job = this.byId.get(id);
    if (!job || job.key !== key || job.deletedAt !== null) throw videoNotFound(id);
    return job;
  }

  delete(job: Job, now: number): void {
    job.deletedAt = now;
    this.pending.get(job.key)?.delete(job);
  }

  /** Jobs of `key` still queued or rendering at `now`, with their phases. */
  active(key: string, now: number): Array<{ job: Job; phase: Phase }> {
    const set = this.pending.get(key);
    if (!set) return [];
    const result: Array<{ job: Job; phase: Phase }> = [];
    for (const job of set) {
      const phase = phaseAt(job.createdAt, job.plan, now);
      if (phase.status === 'queued' || phase.status === 'in_progress') result.push({ job, phase });
      else set.delete(job);
    }
    return result;
  }

  page(key: string, query: PageQuery): { data: Job[]; hasMore: boolean } {
    const all = this.byKey.get(key) ?? [];
    const ordered = query.order === 'asc' ? all : [...all].reverse();
    let start = 0;
    if (query.after !== undefined) {
      const index = ordered.findIndex((job) => job.id === query.after);
      if (index < 0) throw invalid('after', `No video found with id '${query.after}' to page after.`);
      start = index + 1;
    }
    const data: Job[] = [];
    let hasMore = false;
    for (let i = start; i < ordered.length; i++) {
      const job = ordered[i]!;
      if (job.deletedAt !== null) continue;
      if (data.length === query.limit) {
        hasMore = true;
        break;
      }
      data.push(job);
    }
    return { data, hasMore };
  }

  all(): Job[] {
    return [...this.byId.values()];
  }

  clear(): void {
    this.byId.clear();
    this.byKey.clear();
    this.pending.clear();
  }
}

function listFor<V>(map: Map<string, V>, key: string, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
