/// <reference path="./s3rver.d.ts" />
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';

export interface S3ServerOptions {
  /** Where objects are stored on disk. Created if missing. */
  dir: string;
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** Buckets to create before serving. */
  buckets?: string[];
}

export interface S3Server {
  endpoint: string;
  port: number;
  /** s3rver's fixed credentials (it checks signatures made with them). */
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stop(): Promise<void>;
}

/**
 * An embedded S3-protocol server (s3rver) for the local stack and tests. Product code never knows: it
 * talks to it through @aws-sdk/client-s3 like to AWS or MinIO.
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  mkdirSync(options.dir, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory: options.dir,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async stop() {
      const closed = server.close();
      // Clients keep sockets alive; close() alone would wait for them to time out.
      server.httpServer?.closeAllConnections();
      await closed;
    },
  };
}
