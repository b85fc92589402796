/**
 * Webhook keys in Redis. A tenant's keys carry its `{tenant}` hash tag (like the video keys they sit
 * beside); an endpoint's keys carry their own tag, so each Lua script touches one Cluster slot.
 */
export class WebhookKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  private tenant(tenant: string): string {
    return `${this.prefix}:t:{${tenant}}`;
  }
  /** Hash: current secret, previous secret and until when it still signs. */
  secret(tenant: string): string {
    return `${this.tenant(tenant)}:webhook-secret`;
  }
  /** List of one video's delivery attempts, newest first (JSON). */
  deliveries(tenant: string, videoId: string): string {
    return `${this.tenant(tenant)}:deliveries:${videoId}`;
  }
  /** Sorted set of the tenant's messages that ran out of attempts, by when they gave up. */
  failed(tenant: string): string {
    return `${this.tenant(tenant)}:webhooks:failed`;
  }
  /** Hash: an endpoint's health (failing since, last success, disabled at). */
  endpoint(origin: string): string {
    return `${this.prefix}:wh:{${origin}}`;
  }
  /** Sorted set of the deliveries in flight to an endpoint, scored by lease expiry. */
  endpointSlots(origin: string): string {
    return `${this.prefix}:wh:{${origin}}:slots`;
  }
  /** Sorted set of delivery job ids parked until one of the endpoint's slots frees, oldest first. */
  endpointWaiting(origin: string): string {
    return `${this.prefix}:wh:{${origin}}:waiting`;
  }
  /** Stream of operational events (an endpoint disabled), for ops tooling to follow. */
  opsEvents(): string {
    return `${this.prefix}:ops:events`;
  }
}
