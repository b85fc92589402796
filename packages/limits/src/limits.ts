import type { Redis } from 'ioredis';
import { LimitKeys } from './keys.ts';
import { type AccountLimits, checkAccount, type LimitsOptions, resolveOptions } from './options.ts';
import { type LimitScripts, type PeekReply, withLimitScripts } from './scripts.ts';

export interface SlotResult {
  /** True when the holder has the slot (newly, or already had it). */
  ok: boolean;
  /** Live leases on the account after the call (counting this holder when ok). */
  inFlight: number;
  /** The effective concurrency cap the decision used. */
  limit: number;
}

export type TakeResult = { ok: true; tokens: number } | { ok: false; waitMs: number };

export type PickResult =
  | { ok: true; accountId: string; inFlight: number; limit: number }
  | {
      ok: false;
      waitMs: number;
      /** `concurrency`: every account's slots are taken; `rate`: a slot is free but no token yet. */
      reason: 'concurrency' | 'rate';
    };

export interface PickOptions {
  /** Lease of the slot taken. @defaultValue the `leaseMs` option (10 min) */
  leaseMs?: number;
  /** Spend the request token (for the submit) in the same atomic step. @defaultValue false */
  takeToken?: boolean;
}

/** What a provider answer says about its rate limit; every field optional. */
export interface RateHints {
  /** From `retry-after-ms`, or `Retry-After` (seconds or an HTTP date) turned into ms. */
  retryAfterMs?: number | undefined;
  /** `x-ratelimit-remaining-requests`. */
  remaining?: number | undefined;
  /** `x-ratelimit-reset-requests` in ms: time until the provider's budget is whole again. */
  resetMs?: number | undefined;
  /** `x-ratelimit-limit-requests`: lets a reset time be turned into "one request is back in". */
  limit?: number | undefined;
  /** Cut the effective concurrency too (a "too many concurrent jobs" 429, THROTTLED states). */
  concurrency?: boolean | undefined;
}

export interface Adjusted {
  effectiveRpm: number;
  effectiveConcurrency: number;
  /** End of the block, ms since the epoch (Redis time); in the past when not blocked. */
  blockedUntil: number;
}

export interface AccountSnapshot {
  id: string;
  inFlight: number;
  concurrency: number;
  effectiveConcurrency: number;
  rpm: number;
  effectiveRpm: number;
  /** Tokens in the bucket now (negative: a debt from a large take). */
  tokens: number;
  capacity: number;
  /** ms until the next token (0 when one is there). */
  nextTokenMs: number;
  /** End of the current block (ms since the epoch, Redis time), null when not blocked. */
  penaltyUntil: number | null;
}

interface Peeked {
  account: AccountLimits;
  order: number;
  reply: PeekReply;
  free: number;
  tokens: number;
}

/**
 * Global admission for provider accounts, shared by every worker process through Redis: a concurrency
 * semaphore of leases (a slot per render in flight at the provider, held by the video id so any worker
 * can release it) and a token bucket for requests of all kinds, both lowered on 429s and restored
 * slowly (AIMD). See LimitsOptions for the constants.
 */
export class ProviderLimits {
  readonly keys: LimitKeys;
  private readonly redis: Redis & LimitScripts;
  private readonly accounts: Map<string, AccountLimits>;
  private readonly options: Required<LimitsOptions>;

  constructor(redis: Redis, prefix: string, accounts: readonly AccountLimits[], options: LimitsOptions = {}) {
    this.redis = withLimitScripts(redis);
    this.keys = new LimitKeys(prefix);
    this.options = resolveOptions(options);
    this.accounts = new Map();
    for (const account of accounts) {
      checkAccount(account);
      if (this.accounts.has(account.id)) throw new Error(`duplicate account id: ${account.id}`);
      this.accounts.set(account.id, { id: account.id, concurrency: account.concurrency, rpm: account.rpm });
    }
  }

  /**
   * Takes a concurrency slot for `holder` (the video id) unless the account's effective cap is reached.
   * Idempotent: a holder that already has a slot keeps it, lease renewed, and takes no second one.
   */
  async acquire(accountId: string, holder: string, leaseMs = this.options.leaseMs): Promise<SlotResult> {
    const [status, inFlight, limit] = await this.admit(this.account(accountId), holder, leaseMs, 0, false);
    return { ok: status === 1, inFlight, limit };
  }

  /** Gives the slot back; false when the holder had none (released already, or its lease ran out). */
  async release(accountId: string, holder: string): Promise<{ released: boolean; inFlight: number }> {
    const [removed, inFlight] = await this.redis.reelayLimitsRelease(
      this.keys.slots(this.account(accountId).id),
      holder,
    );
    return { released: removed === 1, inFlight };
  }

  /**
   * Extends the holder's lease to now + leaseMs (call it on every poll of the render). False when the
   * lease is gone: the slot may have gone to someone else; `acquire` again to take one if there is room.
   */
  async renew(accountId: string, holder: string, leaseMs = this.options.leaseMs): Promise<boolean> {
    const renewed = await this.redis.reelayLimitsRenew(
      this.keys.slots(this.account(accountId).id),
      holder,
      String(Math.ceil(leaseMs)),
    );
    return renewed === 1;
  }

  /**
   * Leases currently held on the account (expired ones not counted). A cheap read for heuristics such
   * as "enough renders in flight to poll them in bulk"; the process clock stands in for Redis time.
   */
  async inFlight(accountId: string): Promise<number> {
    return this.redis.zcount(this.keys.slots(accountId), `(${Date.now()}`, '+inf');
  }

  /** Takes n request tokens, or says exactly how long until they are there. */
  async take(accountId: string, n = 1): Promise<TakeResult> {
    if (!(n > 0)) throw new Error(`take needs n > 0, got ${n}`);
    const account = this.account(accountId);
    const [ok, waitMs, tokens] = await this.redis.reelayLimitsTake(
      this.keys.state(account.id),
      ...this.head(account),
      String(n),
    );
    return ok === 1 ? { ok: true, tokens: Number(tokens) } : { ok: false, waitMs };
  }

  /**
   * After a 429 (or THROTTLED, RESOURCE_EXHAUSTED): halves the effective rate (and the concurrency when
   * `hints.concurrency`), empties the bucket and blocks it until `retryAfterMs`; recovery is additive.
   */
  async penalize(accountId: string, hints: RateHints = {}): Promise<Adjusted> {
    return this.adjust(accountId, 'limited', hints);
  }

  /**
   * Feeds the rate-limit headers of a normal answer: the bucket never holds more than the provider says
   * remains, and `remaining: 0` counts as a 429 foretold (cut and block until `resetMs` / `limit`).
   */
  async observe(
    accountId: string,
    hints: Omit<RateHints, 'retryAfterMs' | 'concurrency'>,
  ): Promise<Adjusted> {
    return this.adjust(accountId, 'hint', hints);
  }

  /**
   * Routes a holder to an account with headroom, a free slot and a request token there now, and takes
   * the slot (atomically per account). The token is only checked, for the caller's `take` right after,
   * unless `takeToken` spends it in the same step. An account that already holds this holder is the only
   * candidate (a retried job keeps its account and its single slot); otherwise accounts are tried most
   * free slots first, then most tokens, then in the given order. Losing a race for a slot only moves on
   * to the next account.
   */
  async pick(
    accounts: readonly AccountLimits[],
    holder: string,
    { leaseMs = this.options.leaseMs, takeToken = false }: PickOptions = {},
  ): Promise<PickResult> {
    if (accounts.length === 0) throw new Error('pick needs at least one account');
    for (const account of accounts) checkAccount(account);
    const peeked = await Promise.all(
      accounts.map(async (account, order): Promise<Peeked> => {
        const reply = await this.peek(account, holder);
        return { account, order, reply, free: reply[1] - reply[0], tokens: Number(reply[2]) };
      }),
    );
    const holding = peeked.find((p) => p.reply[7] === 1);
    const candidates = holding
      ? [holding]
      : peeked
          .filter((p) => p.free > 0 && p.reply[6] === 0)
          .sort((a, b) => b.free - a.free || b.tokens - a.tokens || a.order - b.order);
    const rateWaits: number[] = [];
    for (const { account } of candidates) {
      const [status, inFlight, limit, waitMs] = await this.admit(account, holder, leaseMs, 1, takeToken);
      if (status === 1) return { ok: true, accountId: account.id, inFlight, limit };
      if (status === 2) rateWaits.push(waitMs);
    }
    const considered = holding ? [holding] : peeked;
    for (const p of considered) if (p.free > 0 && p.reply[6] > 0) rateWaits.push(p.reply[6]);
    if (rateWaits.length > 0) return { ok: false, waitMs: Math.min(...rateWaits), reason: 'rate' };
    const expiries = considered.map((p) => p.reply[8]).filter((ms) => ms > 0);
    return {
      ok: false,
      waitMs: Math.max(1, Math.min(this.options.busyRetryMs, ...expiries)),
      reason: 'concurrency',
    };
  }

  /** Every configured account as it stands: for metrics and debugging. */
  async snapshot(): Promise<AccountSnapshot[]> {
    return Promise.all(
      [...this.accounts.values()].map(async (account) => {
        const [inFlight, limit, tokens, capacity, erpm, until, waitMs, , , now] = await this.peek(
          account,
          '',
        );
        return {
          id: account.id,
          inFlight,
          concurrency: account.concurrency,
          effectiveConcurrency: limit,
          rpm: account.rpm,
          effectiveRpm: Number(erpm),
          tokens: Number(tokens),
          capacity: Number(capacity),
          nextTokenMs: waitMs,
          penaltyUntil: until > now ? until : null,
        };
      }),
    );
  }

  private account(accountId: string): AccountLimits {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`unknown provider account: ${accountId}`);
    return account;
  }

  /** ARGV[1..6] of the scripts that read an account's limits (see PRELUDE in scripts.ts). */
  private head(account: AccountLimits): string[] {
    const o = this.options;
    return [
      String(account.rpm),
      String(account.concurrency),
      String(o.burstMs),
      String(o.minRateFraction),
      String(o.recoverWindowMs),
      String(o.recoverFraction),
    ];
  }

  private admit(account: AccountLimits, holder: string, leaseMs: number, tokens: number, spend: boolean) {
    if (holder === '') throw new Error('a slot needs a holder');
    if (!(leaseMs > 0)) throw new Error(`leaseMs must be > 0, got ${leaseMs}`);
    return this.redis.reelayLimitsAdmit(
      this.keys.state(account.id),
      this.keys.slots(account.id),
      ...this.head(account),
      holder,
      String(Math.ceil(leaseMs)),
      String(tokens),
      spend ? '1' : '0',
    );
  }

  private peek(account: AccountLimits, holder: string): Promise<PeekReply> {
    return this.redis.reelayLimitsPeek(
      this.keys.state(account.id),
      this.keys.slots(account.id),
      ...this.head(account),
      holder,
    );
  }

  private async adjust(accountId: string, kind: 'limited' | 'hint', hints: RateHints): Promise<Adjusted> {
    const account = this.account(accountId);
    const num = (value: number | undefined) =>
      value === undefined || !Number.isFinite(value) ? '' : String(Math.max(0, value));
    const [erpm, ecap, blockedUntil] = await this.redis.reelayLimitsAdjust(
      this.keys.state(account.id),
      ...this.head(account),
      kind,
      num(hints.retryAfterMs),
      num(hints.remaining),
      num(hints.resetMs),
      num(hints.limit),
      hints.concurrency ? '1' : '0',
      String(this.options.decreaseFactor),
      String(this.options.cutCooldownMs),
    );
    return { effectiveRpm: Number(erpm), effectiveConcurrency: ecap, blockedUntil };
  }
}
