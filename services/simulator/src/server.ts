import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@reelay/logger';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { defaultConfig, type SimulatorConfig } from './env.ts';
import { type FaultSpec, faultSpecSchema } from './faults.ts';
import { MediaLibrary } from './media.ts';
import { type SimStats, Simulator } from './simulator.ts';

// Starting and stopping a simulator, in-process (tests, benches, the dev-stack launcher) or from
// main.ts. In-process callers get handles to the control API without going through HTTP.

export interface StartOptions {
  /** Defaults to a `warn`-level logger (or `LOG_LEVEL` from the overrides), so tests stay quiet. */
  logger?: Logger;
}

export interface RunningSimulator {
  /** Base URL without a path, e.g. `http://127.0.0.1:41234`; the wire is at `${url}/v1`. */
  url: string;
  port: number;
  config: SimulatorConfig;
  simulator: Simulator;
  app: FastifyInstance;
  /** Stops listening and cuts open connections (in-flight downloads included). */
  close(): Promise<void>;
  /** Same as `POST /_sim/reset`. */
  reset(): void;
  /** Same as `POST /_sim/faults` (same defaults; an invalid spec throws). */
  addFaults(...specs: Array<Partial<FaultSpec> & Pick<FaultSpec, 'kind'>>): void;
  /** Same as `GET /_sim/stats` (hashing every completed video unless `hash` is false). */
  stats(options?: { hash?: boolean }): Promise<SimStats>;
}

/**
 * Starts a simulator. Overrides are merged over the defaults (not over `process.env`: only main.ts
 * reads the environment); unless overridden it listens on 127.0.0.1 and a free port.
 */
export async function startSimulator(
  overrides: Partial<SimulatorConfig> = {},
  options: StartOptions = {},
): Promise<RunningSimulator> {
  const config: SimulatorConfig = { ...defaultConfig(), SIM_PORT: 0, ...overrides };
  const logger =
    options.logger ?? createLogger({ service: 'simulator', level: overrides.LOG_LEVEL ?? 'warn' });
  const simulator = new Simulator(config, await MediaLibrary.load());
  const app = await buildApp(simulator, logger);
  await app.listen({ host: config.SIM_HOST, port: config.SIM_PORT });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${urlHost(config.SIM_HOST)}:${port}`;
  return {
    url,
    port,
    config,
    simulator,
    app,
    close: () => app.close(),
    reset: () => simulator.reset(),
    addFaults: (...specs) => simulator.faults.add(specs.map((spec) => faultSpecSchema.parse(spec))),
    stats: ({ hash = true } = {}) => simulator.report(hash),
  };
}

/** A wildcard bind is reached through loopback; IPv6 literals need brackets in a URL. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
