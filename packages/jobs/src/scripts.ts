import type { Redis } from 'ioredis';

// Lua scripts: each runs atomically, which is what makes "concurrent duplicates create exactly one job"
// and "a transition happens once" true across any number of api and worker processes.

/**
 * Creates a video record, or returns the idempotency entry that already exists.
 * KEYS[1] video hash, KEYS[2] tenant's video index, KEYS[3] idempotency key ('' when none)
 * ARGV[1] video id, ARGV[2] idempotency entry ("<request hash> <video id>"), ARGV[3] entry TTL in ms, ARGV[4..] hash field/values
 * Returns {1, ''} when created, {0, entry} when the idempotency key was already used.
 */
const CREATE = `
if KEYS[3] ~= '' then
  local existing = redis.call('GET', KEYS[3])
  if existing then return {0, existing} end
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return {1, ''}
`;

/**
 * Moves a video to a new state if its current status is one of the allowed ones (and a guard field is
 * not set), and announces it.
 * KEYS[1] video hash, KEYS[2] events channel
 * ARGV[1] allowed current statuses, comma-separated; ARGV[2] event JSON ('' for none);
 * ARGV[3] a field that must be unset or empty ('' for no guard); ARGV[4..] hash field/values to set
 * Returns {1, previous status} when applied, {0, current status or ''} when not (missing or not allowed).
 */
const TRANSITION = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, ''} end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == status then allowed = true break end
end
if not allowed then return {0, status} end
if ARGV[3] ~= '' and (redis.call('HGET', KEYS[1], ARGV[3]) or '') ~= '' then return {0, status} end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
if ARGV[2] ~= '' then redis.call('PUBLISH', KEYS[2], ARGV[2]) end
return {1, status}
`;

/**
 * Deletes a video whose status is one of the allowed ones.
 * KEYS[1] video hash, KEYS[2] tenant's video index; ARGV[1] video id, ARGV[2] allowed statuses
 * Returns {1, status} when deleted, {0, status or ''} when not.
 */
const DELETE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, ''} end
for s in string.gmatch(ARGV[2], '[^,]+') do
  if s == status then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[1])
    return {1, status}
  end
end
return {0, status}
`;

export interface JobScripts {
  reelayCreate(k1: string, k2: string, k3: string, ...argv: string[]): Promise<[number, string]>;
  reelayTransition(k1: string, k2: string, ...argv: string[]): Promise<[number, string]>;
  reelayDelete(k1: string, k2: string, ...argv: string[]): Promise<[number, string]>;
}

/** Registers the scripts on a connection (EVALSHA with automatic reload). Idempotent. */
export function withScripts(redis: Redis): Redis & JobScripts {
  const scripted = redis as Redis & JobScripts;
  if (typeof scripted.reelayCreate !== 'function') {
    redis.defineCommand('reelayCreate', { numberOfKeys: 3, lua: CREATE });
    redis.defineCommand('reelayTransition', { numberOfKeys: 2, lua: TRANSITION });
    redis.defineCommand('reelayDelete', { numberOfKeys: 2, lua: DELETE });
  }
  return scripted;
}
