import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type RunningSimulator, type SimulatorConfig, startSimulator } from '../src/index.ts';

// Shared test plumbing: a simulator per test file on a free port, a tiny fetch client, ffprobe.

/** Starts a simulator for the current test file, closed after it; fast clock unless overridden. */
export async function useSimulator(overrides: Partial<SimulatorConfig> = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ SIM_TIME_FACTOR: 0.002, ...overrides });
  afterAll(() => sim.close());
  return sim;
}

/**
 * Whatever a wire answer may hold (video, list, deletion, error, gateway error), all fields declared so
 * tests can read what they expect and let `expect` judge. Types are what a field holds when present:
 * at run time an absent field is undefined and a null one null, which the assertions check.
 */
export interface WireBody {
  id: string;
  task_id: string;
  object: string;
  status: string;
  progress: number | string;
  prompt: string;
  model: string;
  size: string;
  seconds: string;
  created_at: number;
  completed_at: number;
  expires_at: number;
  remixed_from_video_id: string | null;
  error: { code: string | null; message: string; type?: string; param?: string | null };
  fail_reason: string | null;
  data: WireBody[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
  deleted: boolean;
  code: string;
  message: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: WireBody;
}

/** A client for one key on one wire prefix (`/v1`, `/newapi/v1`, ...). */
export function client(sim: { url: string }, key: string | null, prefix = '/v1') {
  const base = `${sim.url}${prefix}`;
  const auth: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  async function call(method: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      ...init,
      headers: { ...auth, ...init.headers },
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, body: body as WireBody };
  }
  return {
    base,
    headers: auth,
    call,
    create: (body: unknown) =>
      call('POST', '/videos', {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    createForm: (form: FormData) => call('POST', '/videos', { body: form }),
    retrieve: (id: string) => call('GET', `/videos/${id}`),
    list: (query = '') => call('GET', `/videos${query}`),
    remove: (id: string) => call('DELETE', `/videos/${id}`),
    remix: (id: string, prompt: string) =>
      call('POST', `/videos/${id}/remix`, {
        body: JSON.stringify({ prompt }),
        headers: { 'content-type': 'application/json' },
      }),
    content: (id: string, init: RequestInit = {}, query = '') =>
      fetch(`${base}/videos/${id}/content${query}`, { ...init, headers: { ...auth, ...init.headers } }),
  };
}

export type Client = ReturnType<typeof client>;

const TERMINAL = ['completed', 'failed', 'SUCCESS', 'FAILURE'];

/** Polls until the job is terminal; returns every observed body, in order. */
export async function pollToEnd(
  c: Client,
  id: string,
  everyMs = 10,
  timeoutMs = 20_000,
): Promise<WireBody[]> {
  const seen: WireBody[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await c.retrieve(id);
    if (answer.status !== 200)
      throw new Error(`retrieve ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    seen.push(answer.body);
    if (TERMINAL.includes(answer.body.status)) return seen;
    if (Date.now() > deadline) throw new Error(`job ${id} not finished after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Creates a job and waits for it to finish; instant unless the prompt's directives say otherwise. */
export async function finishedJob(c: Client, body: Record<string, unknown> = {}): Promise<WireBody> {
  const prompt = `${String(body.prompt ?? 'a test clip')} #sim(queue_ms=0,render_ms=0)`;
  const created = await c.create({ ...body, prompt });
  if (created.status !== 200) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  const seen = await pollToEnd(c, created.body.id);
  return seen.at(-1)!;
}

import { ffprobe, type Probe } from '@reelay/testkit';

export { ffprobe, type Probe };

/** Writes `data` to a temp file named `name` and probes it. */
export const probeBytes = (data: Uint8Array, name = 'media.bin'): Promise<Probe> => ffprobe(data, name);

export const tempDir = () => mkdtemp(join(tmpdir(), 'reelay-sim-test-'));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The repository root (tests run with it as cwd, but do not rely on that). */
export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
