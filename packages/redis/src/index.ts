export { createRedis, type RedisRole } from './connection.ts';
export { assertNoEviction, EvictionPolicyError, readEvictionPolicy } from './eviction.ts';
