import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS, type MetricDefinition } from './definitions.ts';
import { mergeExpositions } from './exposition.ts';
import { JOB_STATES, type QueueReading, type RedisCommands, readQueue, type WatchedQueue } from './queues.ts';

// The registry of one process and the observers the domain packages report to. The domain packages
// define small observer ports (PipelineObserver, ProviderResponse, DeliveryObserver) and never import
// prom-client; the services wire the objects below into them. Gauges that describe shared state
// (queues, provider slots, Redis policy) are read at scrape time, so every replica reports the same
// values: aggregate them with max(), not sum().

export interface MetricsOptions {
  /** Which process this is: only its families are exported. */
  service: 'api' | 'worker';
  /** Node's process metrics (CPU, memory, event loop lag, GC; standard unprefixed names). @defaultValue true */
  defaults?: boolean;
}

/** A provider account's limits as `ProviderLimits.snapshot()` gives them. */
export interface ProviderReading {
  id: string;
  inFlight: number;
  concurrency: number;
  effectiveRpm: number;
}

type Label<D extends MetricDefinition> = D['labelNames'][number];

/** `2xx`, `4xx`, ...; `error` when no answer came. */
export const statusClass = (status: number | null): string =>
  status === null ? 'error' : `${Math.floor(status / 100)}xx`;

export class ReelayMetrics {
  readonly registry = new Registry();
  private queues: { redis: RedisCommands; queues: readonly WatchedQueue[] } | null = null;
  private providers: (() => Promise<readonly ProviderReading[]>) | null = null;
  private evictionPolicy: (() => Promise<string>) | null = null;
  private readonly readings = new Map<string, { at: number; value: Promise<unknown> }>();

  /** Every family with its definition; the ones of this process are registered by the constructor. */
  private readonly all: { definition: MetricDefinition; metric: Counter | Gauge | Histogram }[] = [];
  /** Scrape-time reads under way, so the error counter can wait for them within the same scrape. */
  private readonly pending = new Set<Promise<void>>();
  private readonly collectErrors = this.counter(METRICS.collectErrors, async () => {
    // prom-client starts every family's collection at once: let the gauges' reads begin, then settle.
    await null;
    await Promise.allSettled([...this.pending]);
  });
  private readonly queueStalled = this.counter(METRICS.queueStalled);
  private readonly stepDuration = this.histogram(METRICS.stepDuration);
  private readonly videosFinished = this.counter(METRICS.videosFinished);
  private readonly cost = this.counter(METRICS.cost);
  private readonly providerRequests = this.counter(METRICS.providerRequests);
  private readonly providerDuration = this.histogram(METRICS.providerDuration);
  private readonly providerRateLimited = this.counter(METRICS.providerRateLimited);
  private readonly storedBytes = this.counter(METRICS.storedBytes);
  private readonly uploadDuration = this.histogram(METRICS.uploadDuration);
  private readonly webhookAttempts = this.counter(METRICS.webhookAttempts);
  private readonly webhookDuration = this.histogram(METRICS.webhookDuration);
  private readonly httpRequests = this.counter(METRICS.httpRequests);
  private readonly httpDuration = this.histogram(METRICS.httpDuration);

  constructor(options: MetricsOptions) {
    // Gauges read at scrape time: nothing sets them in between, so they need no field.
    this.gauge(METRICS.queueJobs, (g) =>
      this.eachQueue((name, reading) => {
        for (const state of JOB_STATES) g.set({ queue: name, state }, reading.counts[state]);
      }),
    );
    this.gauge(METRICS.queueOldestAge, (g) =>
      this.eachQueue((name, reading) => {
        g.set({ queue: name, state: 'waiting' }, reading.oldestAgeSeconds.waiting);
        g.set({ queue: name, state: 'prioritized' }, reading.oldestAgeSeconds.prioritized);
      }),
    );
    this.gauge(METRICS.queueOverdue, (g) =>
      this.eachQueue((name, reading) => g.set({ queue: name }, reading.overdueSeconds)),
    );
    this.gauge(METRICS.providerInFlight, (g) =>
      this.eachProvider((p) => g.set({ account: p.id }, p.inFlight)),
    );
    this.gauge(METRICS.providerCap, (g) => this.eachProvider((p) => g.set({ account: p.id }, p.concurrency)));
    this.gauge(METRICS.providerEffectiveRpm, (g) =>
      this.eachProvider((p) => g.set({ account: p.id }, p.effectiveRpm)),
    );
    this.gauge(METRICS.redisNoEviction, async (g) => {
      if (!this.evictionPolicy) return;
      g.set((await this.evictionPolicy()) === 'noeviction' ? 1 : 0);
    });
    for (const { definition, metric } of this.all) {
      if (definition.service === options.service) this.registry.registerMetric(metric);
    }
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  // --- sources read at scrape time ----------------------------------------------------------------

  /** Queue gauges and BullMQ's own exporter for these queues; `redis` is the connection they use. */
  watchQueues(redis: RedisCommands, queues: readonly WatchedQueue[]): this {
    this.queues = { redis, queues };
    return this;
  }

  /** Provider slot gauges, from `ProviderLimits.snapshot()`. */
  watchProviders(read: () => Promise<readonly ProviderReading[]>): this {
    this.providers = read;
    return this;
  }

  /** `reelay_redis_noeviction`, from `readEvictionPolicy` (packages/redis). */
  watchRedis(readPolicy: () => Promise<string>): this {
    this.evictionPolicy = readPolicy;
    return this;
  }

  // --- observers the domain packages report to ----------------------------------------------------

  /** packages/pipeline's PipelineObserver. */
  readonly pipeline = {
    step: (event: { step: string; outcome: string; durationMs: number }) => {
      this.stepDuration.observe({ step: event.step, outcome: event.outcome }, event.durationMs / 1000);
    },
    stored: (event: { variant: string; bytes: number; durationMs: number }) => {
      this.storedBytes.inc({ variant: event.variant }, event.bytes);
      this.uploadDuration.observe({ variant: event.variant }, event.durationMs / 1000);
    },
    finished: (event: { tenant: string; model: string; status: string; costUsd: number }) => {
      this.videosFinished.inc({ status: event.status, model: event.model });
      if (event.status === 'completed' && event.costUsd > 0) {
        this.cost.inc({ tenant: event.tenant, model: event.model }, event.costUsd);
      }
    },
  };

  /** packages/providers' `onResponse` option, for one account. */
  provider(account: string): (response: { op: string; status: number | null; durationMs: number }) => void {
    return ({ op, status, durationMs }) => {
      this.providerRequests.inc({ account, op, status: status === null ? 'error' : String(status) });
      this.providerDuration.observe({ account, op, status_class: statusClass(status) }, durationMs / 1000);
      if (status === 429) this.providerRateLimited.inc({ account });
    };
  }

  /** packages/webhooks' DeliveryObserver. */
  readonly webhooks = {
    attempt: (event: { event: string; outcome: string; durationMs: number }) => {
      this.webhookAttempts.inc({ event: event.event, outcome: event.outcome });
      this.webhookDuration.observe({ outcome: event.outcome }, event.durationMs / 1000);
    },
  };

  /** A BullMQ worker's `stalled` event. */
  stalled(queue: string): void {
    this.queueStalled.inc({ queue });
  }

  /** One api request; `route` is the route pattern, never the raw URL. */
  http(request: { method: string; route: string; status: number; durationMs: number }): void {
    const { method, route, status } = request;
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe(
      { method, route, status_class: statusClass(status) },
      request.durationMs / 1000,
    );
  }

  // --- exposition ---------------------------------------------------------------------------------

  /** The text for `/metrics`: this registry, then BullMQ's exporter for the watched queues. */
  async render(): Promise<{ contentType: string; body: string }> {
    // BullMQ's part first, so that a failure of it is counted in this scrape's own families.
    const bull = await this.bullmq();
    const own = await this.registry.metrics();
    return { contentType: this.registry.contentType, body: own + bull };
  }

  private async bullmq(): Promise<string> {
    if (!this.queues) return '';
    try {
      return mergeExpositions(await Promise.all(this.queues.queues.map((q) => q.exportPrometheusMetrics())));
    } catch {
      this.collectErrors.inc({ collector: 'bullmq' });
      return '';
    }
  }

  // --- helpers ------------------------------------------------------------------------------------

  private async eachQueue(apply: (name: string, reading: QueueReading) => void): Promise<void> {
    const source = this.queues;
    if (!source) return;
    const readings = await this.shared('queues', () =>
      Promise.all(source.queues.map(async (q) => [q.name, await readQueue(source.redis, q)] as const)),
    );
    for (const [name, reading] of readings) apply(name, reading);
  }

  private async eachProvider(apply: (reading: ProviderReading) => void): Promise<void> {
    const read = this.providers;
    if (!read) return;
    for (const reading of await this.shared('providers', read)) apply(reading);
  }

  /**
   * One read per scrape for the gauges that share a source: prom-client collects every gauge of a
   * scrape at once, so the first caller's promise serves the others for a moment.
   */
  private shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const cached = this.readings.get(key);
    if (cached && now - cached.at < 500) return cached.value as Promise<T>;
    const value = read();
    this.readings.set(key, { at: now, value });
    value.catch(() => this.readings.delete(key));
    return value;
  }

  private track<M extends Counter | Gauge | Histogram>(definition: MetricDefinition, metric: M): M {
    this.all.push({ definition, metric });
    return metric;
  }

  private counter<const D extends MetricDefinition>(
    definition: D,
    collect?: () => Promise<void>,
  ): Counter<Label<D>> {
    return this.track(
      definition,
      new Counter<Label<D>>({
        name: definition.name,
        help: definition.help,
        labelNames: definition.labelNames as Label<D>[],
        registers: [],
        ...(collect ? { collect } : {}),
      }),
    );
  }

  private histogram<const D extends MetricDefinition>(definition: D): Histogram<Label<D>> {
    return this.track(
      definition,
      new Histogram<Label<D>>({
        name: definition.name,
        help: definition.help,
        labelNames: definition.labelNames as Label<D>[],
        buckets: [...(definition.buckets ?? [])],
        registers: [],
      }),
    );
  }

  /**
   * A gauge set at scrape time. When its source fails (Redis away), the gauge is left out of that
   * scrape rather than showing stale values, and the failure is counted.
   */
  private gauge<const D extends MetricDefinition>(
    definition: D,
    read: (gauge: Gauge<Label<D>>) => Promise<void>,
  ): Gauge<Label<D>> {
    const errors = () => this.collectErrors;
    const pending = this.pending;
    const gauge: Gauge<Label<D>> = new Gauge<Label<D>>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames as Label<D>[],
      registers: [],
      async collect() {
        gauge.reset();
        const run = read(gauge).catch(() => {
          gauge.reset();
          errors().inc({ collector: definition.name });
        });
        pending.add(run);
        await run.finally(() => pending.delete(run));
      },
    });
    return this.track(definition, gauge);
  }
}

export const createMetrics = (options: MetricsOptions): ReelayMetrics => new ReelayMetrics(options);
