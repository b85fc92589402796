import type { Redis } from 'ioredis';

// Lua scripts: each runs atomically on the account's slot, which is what makes the caps hold across every
// worker process. Time is Redis `TIME`, never a caller's clock, so processes on different hosts agree.
// (Redis >= 5 replicates a script's effects, not the script, so reading TIME before writing is allowed.)

/**
 * Shared head of the scripts that read an account's limits: loads the state, applies the lazy additive
 * increase and the refill. KEYS[1] is always the account's state hash.
 * ARGV[1] configured rpm, ARGV[2] configured concurrency, ARGV[3] burst (ms of refill the bucket holds),
 * ARGV[4] rpm floor (fraction of configured), ARGV[5] recovery window ms, ARGV[6] rpm regained per
 * window (fraction of configured). Script-specific arguments start at ARGV[7].
 *
 * State fields: tokens/ts (bucket level as of ts; ts may lie in the future after a block: no refill
 * before it), rpm/cap (effective limits), until (end of the last block), calm (start of the current
 * recovery window), cutR/cutC (time of the last rate / concurrency cut).
 */
const PRELUDE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local rpm = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local burstMs = tonumber(ARGV[3])
local minRpm = math.min(rpm, math.max(1, rpm * tonumber(ARGV[4])))
local window = tonumber(ARGV[5])
local stepRpm = rpm * tonumber(ARGV[6])
local st = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'rpm', 'cap', 'until', 'calm', 'cutR', 'cutC')
local erpm = math.min(rpm, tonumber(st[3]) or rpm)
local ecap = math.min(cap, tonumber(st[4]) or cap)
local blockedUntil = tonumber(st[5]) or 0
local calm = tonumber(st[6]) or now
local cutR = tonumber(st[7]) or 0
local cutC = tonumber(st[8]) or 0
if (erpm < rpm or ecap < cap) and now >= calm + window then
  local steps = math.floor((now - calm) / window)
  erpm = math.min(rpm, erpm + steps * stepRpm)
  ecap = math.min(cap, ecap + steps)
  calm = calm + steps * window
end
local rate = erpm / 60000
local capacity = math.max(1, erpm * burstMs / 60000)
local tokens = math.min(capacity, tonumber(st[1]) or capacity)
local ts = tonumber(st[2]) or now
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local function waitFor(need)
  if tokens >= need then return 0 end
  return math.max(1, math.ceil(math.max(0, ts - now) + (need - tokens) / rate))
end
local function save()
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts), 'rpm', tostring(erpm),
    'cap', ecap, 'until', blockedUntil, 'calm', calm, 'cutR', cutR, 'cutC', cutC)
end
`;

/**
 * Takes n request tokens. A request for more than the bucket holds waits for a full bucket and leaves a
 * debt (negative level) that the refill pays back, so big asks are served, not starved.
 * KEYS[1] state hash; ARGV[1..6] see PRELUDE; ARGV[7] n
 * Returns {1, 0, level after} when taken, {0, ms until enough tokens, level} when not.
 */
const TAKE = `${PRELUDE}
local n = tonumber(ARGV[7])
local wait = waitFor(math.min(n, capacity))
if wait > 0 then return {0, wait, tostring(tokens)} end
tokens = tokens - n
save()
return {1, 0, tostring(tokens)}
`;

/**
 * Takes a concurrency slot for a holder, optionally only when n request tokens are there now (and
 * optionally spending them with it: all or nothing).
 * Idempotent per holder: a holder that has a slot keeps it (lease renewed) and takes no second one.
 * Expired leases are purged first, so a dead worker's slot comes back after its lease.
 * KEYS[1] state hash, KEYS[2] slots zset; ARGV[1..6] see PRELUDE; ARGV[7] holder, ARGV[8] lease ms,
 * ARGV[9] tokens that must be there (0: slot only), ARGV[10] '1' to spend them
 * Returns {status, in flight, effective concurrency, wait ms}: status 1 granted (in flight counts the
 * holder), 0 no free slot, 2 a slot but not the tokens (wait ms until they are there).
 */
const ADMIT = `${PRELUDE}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local held = redis.call('ZSCORE', KEYS[2], ARGV[7])
local count = redis.call('ZCARD', KEYS[2])
if not held and count >= ecap then return {0, count, ecap, 0} end
local n = tonumber(ARGV[9])
if n > 0 then
  local wait = waitFor(math.min(n, capacity))
  if wait > 0 then return {2, count, ecap, wait} end
  if ARGV[10] == '1' then
    tokens = tokens - n
    save()
  end
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[8]), ARGV[7])
if not held then count = count + 1 end
return {1, count, ecap, 0}
`;

/**
 * Lowers the limits after a 429 or a quota hint (multiplicative decrease, at most once per cooldown),
 * empties the bucket and blocks it until the provider's retry time; restarts the recovery clock.
 * KEYS[1] state hash; ARGV[1..6] see PRELUDE; ARGV[7] 'limited' (a 429) or 'hint' (a normal answer's
 * headers), ARGV[8] retry-after ms, ARGV[9] remaining requests, ARGV[10] reset ms, ARGV[11] request limit
 * (each '' when unknown), ARGV[12] '1' to cut concurrency too, ARGV[13] decrease factor, ARGV[14] cut
 * cooldown ms
 * Returns {effective rpm, effective concurrency, blocked until (ms, Redis time)}.
 */
const ADJUST = `${PRELUDE}
local limited = ARGV[7] == 'limited'
local retryAfter = tonumber(ARGV[8])
local remaining = tonumber(ARGV[9])
local resetMs = tonumber(ARGV[10])
local limit = tonumber(ARGV[11])
local factor = tonumber(ARGV[13])
local cooldown = tonumber(ARGV[14])
-- remaining 0 on a normal answer is a 429 foretold: the next request would get one.
local exhausted = remaining ~= nil and remaining < 1
local block = 0
if retryAfter then
  block = retryAfter
elseif exhausted and resetMs then
  -- x-ratelimit-reset-* is the time until the provider's bucket is full again; one request comes back
  -- after reset / limit when the limit is known.
  block = resetMs / math.max(1, limit or 1)
end
if remaining then tokens = math.min(tokens, remaining) end
if limited or exhausted then
  if now - cutR >= cooldown then
    erpm = math.max(minRpm, erpm * factor)
    cutR = now
  end
  if ARGV[12] == '1' and now - cutC >= cooldown then
    ecap = math.max(1, math.floor(ecap * factor))
    cutC = now
  end
  rate = erpm / 60000
  capacity = math.max(1, erpm * burstMs / 60000)
  if block > 0 then blockedUntil = math.max(blockedUntil, math.ceil(now + block)) end
  -- Empty, and the next token appears when the block ends (or one token interval from now).
  tokens = math.min(tokens, 0)
  ts = math.max(ts, now, blockedUntil - 1 / rate)
  calm = math.max(now, blockedUntil)
end
save()
return {tostring(erpm), ecap, blockedUntil}
`;

/**
 * Reads an account without changing it (for pick and snapshot).
 * KEYS[1] state hash, KEYS[2] slots zset; ARGV[1..6] see PRELUDE; ARGV[7] holder ('' for none)
 * Returns {in flight, effective concurrency, tokens, capacity, effective rpm, blocked until, ms until a
 * token, 1 if the holder has a live slot else 0, ms until the first lease expires (-1 when none), now}.
 */
const PEEK = `${PRELUDE}
local live = '(' .. now
local count = redis.call('ZCOUNT', KEYS[2], live, '+inf')
local held = 0
if ARGV[7] ~= '' then
  local score = redis.call('ZSCORE', KEYS[2], ARGV[7])
  if score and tonumber(score) > now then held = 1 end
end
local first = redis.call('ZRANGEBYSCORE', KEYS[2], live, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local expiresIn = -1
if first[2] then expiresIn = tonumber(first[2]) - now end
return {count, ecap, tostring(tokens), tostring(capacity), tostring(erpm), blockedUntil, waitFor(1), held,
  expiresIn, now}
`;

/**
 * Gives a holder's slot back. KEYS[1] slots zset; ARGV[1] holder
 * Returns {1 if it held a live slot else 0, in flight after}.
 */
const RELEASE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
return {removed, redis.call('ZCARD', KEYS[1])}
`;

/**
 * Extends a live lease to now + lease ms; an expired or released one is not brought back (the caller
 * acquires again, which checks the cap). KEYS[1] slots zset; ARGV[1] holder, ARGV[2] lease ms
 * Returns 1 when renewed, 0 when the holder has no live slot.
 */
const RENEW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
`;

export type AdmitReply = [status: number, inFlight: number, limit: number, waitMs: number];
export type PeekReply = [
  inFlight: number,
  limit: number,
  tokens: string,
  capacity: string,
  effectiveRpm: string,
  blockedUntil: number,
  waitMs: number,
  held: number,
  expiresInMs: number,
  now: number,
];

export interface LimitScripts {
  reelayLimitsTake(state: string, ...argv: string[]): Promise<[number, number, string]>;
  reelayLimitsAdmit(state: string, slots: string, ...argv: string[]): Promise<AdmitReply>;
  reelayLimitsAdjust(state: string, ...argv: string[]): Promise<[string, number, number]>;
  reelayLimitsPeek(state: string, slots: string, ...argv: string[]): Promise<PeekReply>;
  reelayLimitsRelease(slots: string, holder: string): Promise<[number, number]>;
  reelayLimitsRenew(slots: string, holder: string, leaseMs: string): Promise<number>;
}

/** Registers the scripts on a connection (EVALSHA with automatic reload). Idempotent. */
export function withLimitScripts(redis: Redis): Redis & LimitScripts {
  const scripted = redis as Redis & LimitScripts;
  if (typeof scripted.reelayLimitsTake !== 'function') {
    redis.defineCommand('reelayLimitsTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('reelayLimitsAdmit', { numberOfKeys: 2, lua: ADMIT });
    redis.defineCommand('reelayLimitsAdjust', { numberOfKeys: 1, lua: ADJUST });
    redis.defineCommand('reelayLimitsPeek', { numberOfKeys: 2, lua: PEEK });
    redis.defineCommand('reelayLimitsRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('reelayLimitsRenew', { numberOfKeys: 1, lua: RENEW });
  }
  return scripted;
}
