export { freePort } from './ports.ts';
export {
  type RedisServer,
  type RedisServerOptions,
  redisServerAvailable,
  startRedisServer,
} from './redis-server.ts';
export { type S3Server, type S3ServerOptions, startS3Server } from './s3-server.ts';
