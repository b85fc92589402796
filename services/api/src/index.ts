// The api as a library, for tests and tools.
export { type ApiEnv, apiEnvSchema, loadApiEnv } from './env.ts';
export { type RunningApi, startApi } from './server.ts';
