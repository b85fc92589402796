/**
 * The limiter's keys. Each account's keys share the hash tag `{accountId}`, so every script touches one
 * slot: ready for Redis Cluster. (Accounts differ in slots, which is why `pick` tries them one by one.)
 */
export class LimitKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    // A brace in the prefix would become the hash tag and put every account in one slot.
    if (/[{}]/.test(prefix)) throw new Error(`limits prefix must not contain braces: ${prefix}`);
    this.prefix = prefix;
  }

  private account(accountId: string): string {
    return `${this.prefix}:limits:{${accountId}}`;
  }
  /** Hash: the token bucket and the adaptive (AIMD) state of the account. */
  state(accountId: string): string {
    return `${this.account(accountId)}:state`;
  }
  /** Sorted set of concurrency leases: holder -> expiry (Redis time, ms). */
  slots(accountId: string): string {
    return `${this.account(accountId)}:slots`;
  }
}
