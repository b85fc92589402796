// @reelay/simulator: a standalone OpenAI-Videos-wire provider for tests, benches and the dev stack.

export { buildApp, simulatorApp } from './app.ts';
export { MODELS, SECONDS, SIZES, SIZES_BY_MODEL } from './catalog.ts';
export type { SimulatorConfig } from './env.ts';
export { defaultConfig, simulatorConfigSchema } from './env.ts';
export type { FaultKind, FaultSpec, Op } from './faults.ts';
export { FAULT_KINDS, faultSpecSchema, OPS } from './faults.ts';
export { FLAVORS, type Flavor } from './flavors.ts';
export { type RunningSimulator, type StartOptions, startSimulator } from './server.ts';
export type { JobStats, SimStats } from './simulator.ts';
export type { Counters } from './stats.ts';
