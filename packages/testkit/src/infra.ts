import { inject } from 'vitest';

/** What the global setup started (or was given) for this test run; shared by every test file. */
export interface Infra {
  redisUrl: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** How it was obtained: `env` (REDIS_URL / S3_ENDPOINT), `containers` or `local` (spawned here). */
  source: { redis: 'env' | 'containers' | 'local'; s3: 'env' | 'containers' | 'local' };
}

declare module 'vitest' {
  export interface ProvidedContext {
    infra: Infra;
  }
}

export function infra(): Infra {
  return inject('infra');
}
