export { type IsolatedBucket, isolatedBucket } from './bucket.ts';
export { type Infra, infra } from './infra.ts';
export { ffprobe, type Probe } from './media.ts';
export { type NodeProcess, REPO_ROOT, runNode } from './process.ts';
export { type IsolatedRedis, isolatedRedis, uniqueName } from './redis.ts';
export { waitFor } from './wait.ts';
