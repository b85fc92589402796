/** The limits one provider account is held to (the fields of `AccountConfig` that matter here). */
export interface AccountLimits {
  id: string;
  /** Renders in flight at once. */
  concurrency: number;
  /** Requests per minute, all kinds. */
  rpm: number;
}

/**
 * Tuning of the limiter. The defaults suit real providers (renders of minutes, budgets of tens of
 * requests per minute); tests pass short time constants.
 */
export interface LimitsOptions {
  /**
   * Lease of a concurrency slot when a call names none. It must outlast the longest gap between two
   * renewals (the poller renews on every poll, and polls are seconds to a minute apart), and it is how
   * long a slot of a kill -9'd worker stays taken when nobody else releases it.
   * @defaultValue 600_000 (10 min)
   */
  leaseMs?: number;
  /**
   * Burst: the bucket holds this many ms of refill, at least 1 token (60 rpm -> 10 tokens). Providers
   * often keep a full minute's worth; a smaller burst of ours never drains theirs, so a fleet starting
   * at once does not meet 429s.
   * @defaultValue 10_000
   */
  burstMs?: number;
  /** Multiplicative decrease: a 429 multiplies the effective rpm (and concurrency, when asked) by this. @defaultValue 0.5 */
  decreaseFactor?: number;
  /** Floor of the effective rpm as a fraction of the configured rpm, and never below 1 rpm. @defaultValue 0.1 */
  minRateFraction?: number;
  /**
   * Cuts closer together than this count once: the 429s of requests that were already in flight when the
   * first came back are one signal, not ten halvings. (The block and the emptied bucket still apply.)
   * @defaultValue 5_000
   */
  cutCooldownMs?: number;
  /**
   * Additive increase: each full window without a cut (counted from the end of the last block) gives back
   * `recoverFraction` of the configured rpm and one concurrency slot, up to the configured caps. With
   * the defaults a halved rate is whole again after 5 windows, 5 minutes.
   * @defaultValue 60_000
   */
  recoverWindowMs?: number;
  /** @defaultValue 0.1 (of the configured rpm, per recovery window) */
  recoverFraction?: number;
  /**
   * `pick`'s `waitMs` when every account's slots are taken: a slot frees on a release nobody announces,
   * so look again this soon (or at the earliest lease expiry, when sooner).
   * @defaultValue 1_000
   */
  busyRetryMs?: number;
}

export const DEFAULTS: Required<LimitsOptions> = {
  leaseMs: 600_000,
  burstMs: 10_000,
  decreaseFactor: 0.5,
  minRateFraction: 0.1,
  cutCooldownMs: 5_000,
  recoverWindowMs: 60_000,
  recoverFraction: 0.1,
  busyRetryMs: 1_000,
};

export function resolveOptions(options: LimitsOptions): Required<LimitsOptions> {
  const resolved = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options) as [keyof LimitsOptions, number | undefined][]) {
    if (value !== undefined) resolved[name] = value;
  }
  const positive = ['leaseMs', 'burstMs', 'recoverWindowMs', 'busyRetryMs'] as const;
  for (const name of positive) {
    if (!(resolved[name] > 0)) throw new Error(`limits option ${name} must be > 0, got ${resolved[name]}`);
  }
  if (!(resolved.cutCooldownMs >= 0)) throw new Error('limits option cutCooldownMs must be >= 0');
  for (const name of ['decreaseFactor', 'minRateFraction', 'recoverFraction'] as const) {
    const value = resolved[name];
    if (!(value > 0 && value <= 1)) throw new Error(`limits option ${name} must be in (0, 1], got ${value}`);
  }
  return resolved;
}

export function checkAccount(account: AccountLimits): void {
  if (!/^[^{}:\s]+$/.test(account.id)) throw new Error(`account id not usable in a key: ${account.id}`);
  if (!(Number.isInteger(account.concurrency) && account.concurrency >= 1))
    throw new Error(`account ${account.id}: concurrency must be an integer >= 1`);
  if (!(account.rpm > 0)) throw new Error(`account ${account.id}: rpm must be > 0`);
}
