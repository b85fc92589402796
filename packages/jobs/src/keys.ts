/**
 * Every Reelay key in Redis. A tenant's keys share the hash tag `{tenant}` so each Lua script touches a
 * single slot: the layout is ready for Redis Cluster without change.
 */
export class Keys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  private tenant(tenant: string): string {
    return `${this.prefix}:t:{${tenant}}`;
  }
  video(tenant: string, id: string): string {
    return `${this.tenant(tenant)}:video:${id}`;
  }
  /** Sorted set of the tenant's video ids, all score 0, ordered by id (= by creation time). */
  videos(tenant: string): string {
    return `${this.tenant(tenant)}:videos`;
  }
  idempotency(tenant: string, keyHash: string): string {
    return `${this.tenant(tenant)}:idem:${keyHash}`;
  }
  /**
   * Which video owns a provider job (SET NX by the worker when it stores the handle, kept 7 days): one
   * provider job is claimed by one video only, and ops find a video by its provider handle here.
   */
  claim(account: string, providerJobId: string): string {
    return `${this.prefix}:claims:{${account}}:${providerJobId}`;
  }
  /** Sorted set of worker processes by last heartbeat (unix ms); `/readyz` counts the recent ones. */
  workers(): string {
    return `${this.prefix}:workers`;
  }
  /** Pub/sub channel of one video's status and progress changes (the SSE endpoint listens here). */
  events(tenant: string, id: string): string {
    return `${this.tenant(tenant)}:events:${id}`;
  }
}
