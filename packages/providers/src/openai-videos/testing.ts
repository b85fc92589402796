import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { type RunningSimulator, type SimulatorConfig, startSimulator } from '@reelay/simulator';
import { afterAll, expect } from 'vitest';
import { type PollResult, ProviderError, type ProviderHandle } from '../adapter.ts';
import { createOpenAIVideosAdapter, type OpenAIVideosAdapter, type OpenAIVideosOptions } from './adapter.ts';

// Test plumbing for this adapter's tests (not exported from the package): a simulator per test file,
// an adapter per flavor and key, polling to the end, reading streams, tiny HTTP servers for what the
// simulator does not do (redirects, stalls, servers that ignore Range).

export type Flavor = 'openai' | 'newapi';

/** A simulator for the current test file, closed after it; renders take well under a second. */
export async function useSimulator(overrides: Partial<SimulatorConfig> = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ SIM_TIME_FACTOR: 0.002, ...overrides });
  afterAll(() => sim.close());
  return sim;
}

/** The wire prefix of each flavor: plain `/v1` is the openai one (the simulator's default). */
export const PREFIX: Record<Flavor, string> = { openai: '/v1', newapi: '/newapi/v1' };

export function adapterFor(
  sim: { url: string },
  flavor: Flavor,
  apiKey: string,
  options?: OpenAIVideosOptions,
): OpenAIVideosAdapter {
  return createOpenAIVideosAdapter({ baseUrl: `${sim.url}${PREFIX[flavor]}`, apiKey }, options);
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'expired']);

/** Polls until a terminal state, pacing by the provider's hint; every observation, in order. */
export async function pollToEnd(
  adapter: OpenAIVideosAdapter,
  handle: ProviderHandle,
  timeoutMs = 15_000,
): Promise<PollResult[]> {
  const seen: PollResult[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await adapter.poll(handle);
    seen.push(result);
    if (TERMINAL.has(result.state)) return seen;
    if (Date.now() > deadline) throw new Error(`${handle.id} not finished after ${timeoutMs} ms`);
    await sleep(Math.min(50, Math.max(5, result.nextPollMs ?? 20)));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a stream to the end; on an error, what came before it and the error (tests only: buffers). */
export async function drain(body: Readable): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The ProviderError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  expect(outcome).toBeInstanceOf(ProviderError);
  return outcome as ProviderError;
}

export interface TestServer {
  url: string;
  /** Request headers as received, in order. */
  seen: Array<{ url: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

/** A throwaway HTTP server on a free port, closed after the file (open connections cut). */
export async function useServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<TestServer> {
  const seen: TestServer['seen'] = [];
  const server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  afterAll(close);
  return { url: `http://127.0.0.1:${port}`, seen, close };
}

/** The simulator's record of a job (bytes, sha256, prompt as received, ...). */
export async function simJob(sim: RunningSimulator, id: string) {
  const job = (await sim.stats()).jobs.find((entry) => entry.id === id);
  if (!job) throw new Error(`the simulator has no job ${id}`);
  return job;
}

/** Request counters of one key at the simulator. */
export async function simCounters(sim: RunningSimulator, key: string) {
  return (await sim.stats({ hash: false })).keys[key];
}
