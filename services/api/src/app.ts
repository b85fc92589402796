import type { S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { healthRoutes } from './routes/health.ts';

export interface AppDeps {
  redis: Redis;
  s3: S3Client;
  bucket: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
}

/** The api as a plugin: shared services as decorators, then routes. server.ts owns listen and close. */
export async function app(instance: FastifyInstance, deps: AppDeps): Promise<void> {
  instance.decorate('deps', deps);
  await instance.register(healthRoutes);
}
