// The worker as a library, for tests and tools.
export { loadWorkerEnv, type WorkerEnv, workerEnvSchema } from './env.ts';
export { type RunningWorker, startWorker } from './server.ts';
